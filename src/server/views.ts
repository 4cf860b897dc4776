// Converts core records (camelCase, epoch ms) to the API's shapes (snake_case, ISO 8601 UTC)
// and request metadata back. The field names are the ones existing frontends read; the CLI's
// --json prints jobs through the same views, so both show a job alike.
import type { JobEvent } from "../core/events.js";
import type { Job, JobMeta, JobPage, Json, QueueStats, WorkerInfo } from "../core/job.js";
import { DEPENDS_ON_SHOWN } from "./schemas.js";

// The latest time a Date holds: a stored time past it, or before its negative (written before
// times were bounded), shows as that bound instead of failing the whole answer.
const LAST_DATE_MS = 8.64e15;

/** An ISO 8601 UTC time from epoch ms, clamped to what a Date holds. */
export function iso(ms: number): string {
  return new Date(Number.isNaN(ms) ? 0 : Math.max(-LAST_DATE_MS, Math.min(LAST_DATE_MS, ms))).toISOString();
}

/** Like `iso`, keeping null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** Meta as the API shows it: `projectId`/`userId` become `project_id`/`user_id`. */
export function metaView(meta: JobMeta): Record<string, Json> {
  const view: Record<string, Json> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    view[key === "projectId" ? "project_id" : key === "userId" ? "user_id" : key] = value;
  }
  return view;
}

/** Meta from a request body: `project_id`/`user_id` become the core's first-class fields. */
export function metaFromBody(body: Record<string, unknown>): JobMeta {
  const meta: JobMeta = {};
  for (const [key, value] of Object.entries(body)) {
    meta[key === "project_id" ? "projectId" : key === "user_id" ? "userId" : key] = value as Json;
  }
  return meta;
}

/** A job as the API shows it. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    job_id: job.id,
    status: job.status,
    queue: job.queue,
    task: job.task,
    payload: job.payload,
    created_at: iso(job.createdAt),
    enqueued_at: isoOrNull(job.enqueuedAt),
    started_at: isoOrNull(job.startedAt),
    completed_at: isoOrNull(job.completedAt),
    run_at: isoOrNull(job.runAt),
    progress: job.progress,
    result: job.result,
    error: job.error === null ? null : { code: job.error.code, message: job.error.message, ...(job.error.stack === undefined ? {} : { stack: job.error.stack }) },
    attempt: job.attempt,
    max_attempts: job.maxAttempts,
    retries: job.retries,
    timeout: job.timeoutMs / 1000,
    worker: job.worker,
    idempotency_key: job.idempotencyKey,
    meta: metaView(job.meta),
    schedule_id: job.scheduleId,
    fire_at: isoOrNull(job.fireAt),
    depends_on: job.dependsOn.length > DEPENDS_ON_SHOWN ? job.dependsOn.slice(0, DEPENDS_ON_SHOWN) : job.dependsOn,
    depends_on_count: job.dependsOn.length,
    on_dependency_failure: job.onDependencyFailure,
    dependencies: job.dependencies === null ? null : { ...job.dependencies },
    dependents: job.dependents,
    parent_id: job.parentId,
    flow_id: job.flowId,
    limit_keys: job.limitKeys.map(({ name, key }) => ({ name, key })),
    postponements: job.postponements,
  };
}

/** A job as GET /jobs/{id} shows it: with `held_by`, why a QUEUED job under limits is not running (null when nothing holds it). */
export function jobDetailView(job: Job, heldBy: string | null): Record<string, unknown> {
  return { ...jobView(job), held_by: heldBy };
}

/** A page of jobs as the API shows it (GET /jobs, GET /monitoring/queue/failed). */
export function jobPageView(page: JobPage): { jobs: Array<Record<string, unknown>>; next_cursor: string | null } {
  return { jobs: page.jobs.map(jobView), next_cursor: page.nextCursor };
}

/** A job event as the API shows it. */
export function eventView(event: JobEvent): Record<string, unknown> {
  const view: Record<string, unknown> = {
    type: event.type,
    job_id: event.jobId,
    queue: event.queue,
    task: event.task,
    status: event.status,
    at: iso(event.at),
  };
  if (event.seq !== undefined) view.seq = event.seq;
  if (event.attempt !== undefined) view.attempt = event.attempt;
  if (event.worker !== undefined) view.worker = event.worker;
  if (event.progress !== undefined) view.progress = event.progress;
  if (event.error !== undefined) view.error = { code: event.error.code, message: event.error.message };
  if (event.durationMs !== undefined) view.duration_ms = event.durationMs;
  return view;
}

/** A live worker as the API shows it. */
export function workerView(worker: WorkerInfo): Record<string, unknown> {
  return {
    name: worker.name,
    host: worker.host,
    pid: worker.pid,
    queues: worker.queues,
    tasks: worker.tasks,
    concurrency: worker.concurrency,
    state: worker.state,
    current_job_ids: worker.currentJobs,
    started_at: iso(worker.startedAt),
    last_heartbeat: iso(worker.heartbeatAt),
    processed: worker.processed,
    failed: worker.failed,
  };
}

/** One queue's statistics as the API shows them. */
export function statsView(stats: QueueStats): Record<string, unknown> {
  return {
    queue: stats.queue,
    counts: stats.counts,
    oldest_waiting_seconds: stats.oldestWaitingMs === null ? null : stats.oldestWaitingMs / 1000,
    completed_last_minute: stats.completedLastMinute,
    failed_last_minute: stats.failedLastMinute,
    paused: stats.paused,
  };
}
