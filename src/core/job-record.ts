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
    ...noDependencies(job),
    limitKeys: job.limitKeys === undefined ? [] : [...job.limitKeys],
    postponements: 0,
  };
}

/** The dependency fields of a job record built from its input, before any dependency has ended. */
export function noDependencies(job: NewJob): Pick<Job, "dependsOn" | "onDependencyFailure" | "dependencies" | "dependents" | "parentId" | "flowId"> {
  const dependsOn = job.dependsOn === undefined ? [] : [...job.dependsOn];
  return {
    dependsOn,
    onDependencyFailure: job.onDependencyFailure ?? "fail",
    dependencies: dependsOn.length === 0 ? null : { total: dependsOn.length, waiting: dependsOn.length, completed: 0, failed: 0, canceled: 0 },
    dependents: 0,
    parentId: job.parentId ?? null,
    flowId: job.flowId ?? null,
  };
}
