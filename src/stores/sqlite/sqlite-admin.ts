// The operator's actions on the SQLite store: cancel, retry (one job or the failed ones), remove,
// and pausing a queue. Each checks the job's status against core/job-states.ts and runs inside
// a transaction the store opened; none opens one itself.
import { InvalidTransitionError } from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import { CANCELABLE, REMOVABLE, RETRYABLE, type JobStatus } from "../../core/job-states.js";
import { rowToJob, type JobRow } from "./row-decoders.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

/** Cancels a job that has not finished. */
export function cancelJob(st: Statements, steps: TransitionSteps, jobId: string, now: number): Job {
  const row = steps.require(jobId);
  if (!CANCELABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "cancel", row.status);
  const updated = st.cancel.get({ id: jobId, now }) as JobRow;
  steps.event("job:canceled", updated, now);
  return rowToJob(updated);
}

/** Queues a FAILED or CANCELED job again with a fresh attempt count. */
export function retryJob(steps: TransitionSteps, jobId: string, now: number): Job {
  const row = steps.require(jobId);
  if (!RETRYABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "retry", row.status);
  return rowToJob(steps.retry(row, now));
}

/** Retries up to `limit` FAILED jobs (of one queue, or of all); returns how many. */
export function retryAllFailed(st: Statements, steps: TransitionSteps, queue: string | null, limit: number, now: number): number {
  const ids = (queue === null ? st.failedIds.pluck().all(limit) : st.failedIdsOfQueue.pluck().all(queue, limit)) as string[];
  for (const id of ids) steps.retry(steps.require(id), now);
  return ids.length;
}

/** Deletes a job that is not running, leaving a `job:removed` event behind. */
export function removeJob(steps: TransitionSteps, jobId: string, now: number): void {
  const row = steps.require(jobId);
  if (!REMOVABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "remove", row.status);
  steps.delete(jobId);
  steps.insertEvent("job:removed", row, row.status as JobStatus, now);
}

/** Pauses or resumes a queue: claims skip a paused queue's jobs. */
export function setQueuePaused(st: Statements, queue: string, paused: boolean): void {
  st.setPaused.run(queue, paused ? 1 : 0);
}
