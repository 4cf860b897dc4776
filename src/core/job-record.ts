// Builds the Job record a fresh enqueue produces, from its input: every store returns the same
// record without reading it back.
import type { Job, NewJob } from "./job.js";
import type { JobStatus } from "./job-states.js";

/** The record of a job just created from `job`, in `status`, at store time `now`. */
export function newJobRecord(job: NewJob, status: JobStatus, now: number, runAt: number | null): Job {
  return {
    id: job.id,
    task: job.task,
    payload: job.payload,
    queue: job.queue,
    status,
    attempt: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    retryOnTimeout: job.retryOnTimeout,
    createdAt: now,
    enqueuedAt: status === "PENDING" ? null : now,
    startedAt: null,
    completedAt: null,
    runAt,
    progress: null,
    result: null,
    error: null,
    worker: null,
    meta: job.meta,
    idempotencyKey: job.idempotencyKey,
    stalls: 0,
    retries: 0,
    scheduleId: job.schedule?.scheduleId ?? null,
    fireAt: job.schedule?.fireAt ?? null,
    resultTtlSeconds: job.resultTtlSeconds,
    failureTtlSeconds: job.failureTtlSeconds,
  };
}
