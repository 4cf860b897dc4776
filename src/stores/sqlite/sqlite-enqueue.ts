// The enqueue paths of the SQLite store: a batch of new jobs (a job whose idempotency key is
// taken answers with the job that holds it) and a held PENDING job let go. Each runs inside a
// transaction the store opened; none opens one itself.
import { InvalidOptionsError, InvalidTransitionError } from "../../core/errors.js";
import type { JobEventType } from "../../core/events.js";
import type { Job, NewJob } from "../../core/job.js";
import { newJobRecord } from "../../core/job-record.js";
import type { JobStatus } from "../../core/job-states.js";
import type { EnqueueResult } from "../../core/store.js";
import { rowToJob, type JobRow } from "./row-decoders.js";
import { laneOf } from "../../core/limits.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

/** Stores a batch of new jobs; the QUEUED ones of a queue take consecutive positions at its tail. */
export function enqueueJobs(st: Statements, steps: TransitionSteps, jobs: readonly NewJob[], now: number): EnqueueResult[] {
  const tails = new Map<string, number>();
  return jobs.map((job) => insertJob(st, steps, job, now, tails));
}

/** Lets a PENDING job go: SCHEDULED when its run time is ahead, QUEUED otherwise. */
export function enqueuePendingJob(st: Statements, steps: TransitionSteps, jobId: string, now: number): Job {
  const row = steps.require(jobId);
  if (row.status !== "PENDING") throw new InvalidTransitionError(jobId, "enqueue", row.status);
  if (row.run_at !== null && row.run_at > now) {
    const updated = st.toScheduled.get({ id: jobId, now }) as JobRow;
    steps.event("job:scheduled", updated, now);
    return rowToJob(updated);
  }
  const updated = st.toQueued.get({ id: jobId, now, position: steps.tailPosition(row.queue) }) as JobRow;
  steps.event("job:enqueued", updated, now);
  return rowToJob(updated);
}

function insertJob(st: Statements, steps: TransitionSteps, job: NewJob, now: number, tails: Map<string, number>): EnqueueResult {
  if (job.idempotencyKey !== null) {
    const existing = st.jobByKey.get(job.idempotencyKey) as JobRow | undefined;
    if (existing !== undefined) return { job: rowToJob(existing), created: false };
  }
  const plan = steps.deps.plan(job);
  const runAt = job.runAt ?? (job.delayMs !== null && job.delayMs > 0 ? now + job.delayMs : null);
  const status: JobStatus = plan?.status ?? (job.hold ? "PENDING" : runAt !== null && runAt > now ? "SCHEDULED" : "QUEUED");
  let position: number | null = null;
  if (status === "QUEUED") {
    position = (tails.get(job.queue) ?? steps.tailPosition(job.queue) - 1) + 1;
    tails.set(job.queue, position);
  }
  const row = {
    id: job.id,
    task: job.task,
    queue: job.queue,
    status,
    payload: job.payloadText,
    max_attempts: job.maxAttempts,
    timeout_ms: job.timeoutMs,
    backoff: JSON.stringify(job.backoff),
    retry_on_timeout: job.retryOnTimeout ? 1 : 0,
    created_at: now,
    enqueued_at: status === "PENDING" ? null : now,
    run_at: runAt,
    idempotency_key: job.idempotencyKey,
    meta: job.metaText,
    project_id: job.meta.projectId ?? null,
    user_id: job.meta.userId ?? null,
    result_ttl_s: job.resultTtlSeconds,
    failure_ttl_s: job.failureTtlSeconds,
    position,
    schedule_id: job.schedule?.scheduleId ?? null,
    fire_at: job.schedule?.fireAt ?? null,
  };
  const limited = job.limitKeys !== undefined && job.limitKeys.length > 0;
  const linked = plan !== null || job.parentId != null || job.flowId != null || limited;
  try {
    if (!linked) st.insertJob.run(row);
    else {
      const ended = status === "FAILED" || status === "CANCELED";
      st.insertJobWithDependencies.run({
        ...row,
        depends_on: plan === null ? null : JSON.stringify(plan.ids),
        on_dependency_failure: job.onDependencyFailure ?? null,
        deps_total: plan?.ids.length ?? 0,
        deps_waiting: plan?.waiting ?? 0,
        deps_failed: plan?.failed ?? 0,
        deps_canceled: plan?.canceled ?? 0,
        parent_id: job.parentId ?? null,
        flow_id: job.flowId ?? null,
        limit_keys: limited ? JSON.stringify(job.limitKeys) : null,
        lane: laneOf(job.limitKeys),
        error: plan?.error === null || plan === null ? null : JSON.stringify(plan.error),
        completed_at: ended ? now : null,
      });
    }
  } catch (error) {
    // A caller's id that a job already has (the transaction then stores none of the batch).
    if ((error as { code?: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new InvalidOptionsError(`A job with id ${job.id} already exists`);
    throw error;
  }
  const type: JobEventType = EVENT_OF_NEW[status] ?? "job:enqueued";
  const data = plan?.error == null ? null : JSON.stringify({ error: plan.error });
  st.insertEvent.run(now, type, job.id, job.queue, job.task, status, 0, null, data);
  if (plan !== null) steps.deps.link(job.id, plan);
  if (!linked) return { job: newJobRecord(job, status, now, runAt), created: true };
  return { job: rowToJob(steps.require(job.id)), created: true };
}

// The event a new job's timeline starts with, by the status it is stored in.
const EVENT_OF_NEW: Partial<Record<JobStatus, JobEventType>> & Record<"QUEUED", JobEventType> = {
  PENDING: "job:created",
  DEFERRED: "job:deferred",
  SCHEDULED: "job:scheduled",
  QUEUED: "job:enqueued",
  FAILED: "job:failed",
  CANCELED: "job:canceled",
};
