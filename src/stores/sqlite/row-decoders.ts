// The row types of the SQLite store's tables (jobs, events, workers, schedules) and their decoding
// into the core's records. Column names stay inside this store; the statements that write rows encode them.
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, Job, Json, WorkerInfo } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import type { Schedule } from "../../core/schedule.js";

/** A row of the jobs table. */
export interface JobRow {
  id: string;
  task: string;
  queue: string;
  status: string;
  payload: string;
  attempt: number;
  max_attempts: number;
  timeout_ms: number;
  backoff: string;
  retry_on_timeout: number;
  created_at: number;
  enqueued_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  run_at: number | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  worker: string | null;
  worker_incarnation: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  stalls: number;
  /** Added by migrations/003-job-retries.sql. */
  retries: number;
  idempotency_key: string | null;
  meta: string;
  project_id: string | null;
  user_id: string | null;
  result_ttl_s: number;
  failure_ttl_s: number;
  expires_at: number | null;
  position: number | null;
  /** Added by migrations/004-schedules.sql, like `fire_at`. */
  schedule_id: string | null;
  fire_at: number | null;
  /** Added by migrations/005-dependencies.sql, like the columns below. JSON array, or NULL for none. */
  depends_on: string | null;
  on_dependency_failure: string | null;
  deps_total: number;
  deps_waiting: number;
  deps_failed: number;
  deps_canceled: number;
  dependents: number;
  parent_id: string | null;
  flow_id: string | null;
  /** Added by migrations/008-limits.sql, like the columns below. JSON array, or NULL for none. */
  limit_keys: string | null;
  lane: string | null;
  postponements: number;
}

function parse<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** A job record from its row. */
export function rowToJob(row: JobRow): Job {
  return {
    id: row.id,
    task: row.task,
    payload: JSON.parse(row.payload) as Json,
    queue: row.queue,
    status: row.status as JobStatus,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    backoff: JSON.parse(row.backoff) as Job["backoff"],
    retryOnTimeout: row.retry_on_timeout === 1,
    createdAt: row.created_at,
    enqueuedAt: row.enqueued_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    runAt: row.run_at,
    progress: parse<Json>(row.progress),
    result: parse<Json>(row.result),
    error: parse<Job["error"]>(row.error),
    worker: row.worker,
    meta: JSON.parse(row.meta) as Job["meta"],
    idempotencyKey: row.idempotency_key,
    stalls: row.stalls,
    retries: row.retries,
    resultTtlSeconds: row.result_ttl_s,
    failureTtlSeconds: row.failure_ttl_s,
    scheduleId: row.schedule_id,
    fireAt: row.fire_at,
    dependsOn: row.depends_on === null ? [] : (JSON.parse(row.depends_on) as string[]),
    onDependencyFailure: (row.on_dependency_failure ?? "fail") as Job["onDependencyFailure"],
    dependencies:
      row.deps_total === 0
        ? null
        : {
            total: row.deps_total,
            waiting: row.deps_waiting,
            completed: row.deps_total - row.deps_waiting - row.deps_failed - row.deps_canceled,
            failed: row.deps_failed,
            canceled: row.deps_canceled,
          },
    dependents: row.dependents,
    parentId: row.parent_id,
    flowId: row.flow_id,
    limitKeys: row.limit_keys === null ? [] : (JSON.parse(row.limit_keys) as Job["limitKeys"]),
    postponements: row.postponements,
  };
}

/** A claimed job (with its lease) from its row. */
export function rowToClaimed(row: JobRow): ClaimedJob {
  return { ...rowToJob(row), leaseToken: row.lease_token ?? "", leaseExpiresAt: row.lease_expires_at ?? 0 };
}

/** A row of the events table. */
export interface EventRow {
  seq: number;
  at: number;
  type: string;
  job_id: string;
  queue: string;
  task: string;
  status: string;
  attempt: number | null;
  worker: string | null;
  data: string | null;
}

/** A job event from its row. */
export function rowToEvent(row: EventRow): JobEvent {
  const event: JobEvent = {
    seq: String(row.seq),
    type: row.type as JobEvent["type"],
    jobId: row.job_id,
    queue: row.queue,
    task: row.task,
    status: row.status as JobStatus,
    at: row.at,
    worker: row.worker,
  };
  if (row.attempt !== null) event.attempt = row.attempt;
  if (row.data !== null) Object.assign(event, JSON.parse(row.data) as Partial<JobEvent>);
  return event;
}

/** A row of the workers table. */
export interface WorkerRow {
  name: string;
  incarnation: string;
  host: string;
  pid: number;
  queues: string;
  /** Added by migrations/009-worker-tasks.sql: JSON array of task names. */
  tasks: string;
  concurrency: number;
  state: string;
  started_at: number;
  heartbeat_at: number;
  current_jobs: string;
  processed: number;
  failed: number;
}

/** A worker record from its row. */
export function rowToWorker(row: WorkerRow): WorkerInfo {
  return {
    name: row.name,
    incarnation: row.incarnation,
    host: row.host,
    pid: row.pid,
    queues: JSON.parse(row.queues) as string[],
    tasks: JSON.parse(row.tasks) as string[],
    concurrency: row.concurrency,
    state: row.state as WorkerInfo["state"],
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    currentJobs: JSON.parse(row.current_jobs) as string[],
    processed: row.processed,
    failed: row.failed,
  };
}

/** A row of the schedules table. */
export interface ScheduleRow {
  id: string;
  /** The NewSchedule's definitionText: canonical JSON of id, timing, job, catchUp and overlap. */
  definition: string;
  /** The NewSchedule's timingText. */
  timing: string;
  paused: number;
  next_fire_at: number | null;
  last_fire_at: number | null;
  last_job_id: string | null;
  anchor_at: number;
  created_at: number;
  updated_at: number;
}

/** A schedule record from its row: the definition from its stored text, the fire state from the columns. */
export function rowToSchedule(row: ScheduleRow): Schedule {
  const definition = JSON.parse(row.definition) as Pick<Schedule, "timing" | "job" | "catchUp" | "overlap">;
  return {
    id: row.id,
    timing: definition.timing,
    job: definition.job,
    catchUp: definition.catchUp,
    overlap: definition.overlap,
    definitionText: row.definition,
    timingText: row.timing,
    paused: row.paused === 1,
    nextFireAt: row.next_fire_at,
    lastFireAt: row.last_fire_at,
    lastJobId: row.last_job_id,
    anchorAt: row.anchor_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
