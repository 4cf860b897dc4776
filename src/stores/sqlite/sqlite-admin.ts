// The operator's actions on the SQLite store: cancel, retry (one job or the failed ones), remove,
// and pausing a queue. Each checks the job's status against core/job-states.ts and runs inside
// a transaction the store opened; none opens one itself.
import { InvalidTransitionError } from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import { CANCELABLE, REMOVABLE, RETRYABLE, type JobStatus } from "../../core/job-states.js";
import { rowToJob } from "./row-decoders.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

/** Cancels a job that has not finished, with the unfinished jobs it owns. */
export function cancelJob(_st: Statements, steps: TransitionSteps, jobId: string, now: number): Job {
  const row = steps.require(jobId);
  if (!CANCELABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "cancel", row.status);
  const updated = steps.cancelRow(jobId, now);
  // Down the jobs it owns, then the dependents of every job canceled (decision 0018).
  steps.deps.cancelOwned(updated, now);
  return rowToJob(steps.require(jobId));
}

/** Queues a FAILED or CANCELED job again with a fresh attempt count. */
export function retryJob(steps: TransitionSteps, jobId: string, now: number): Job {
  const row = steps.require(jobId);
  if (!RETRYABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "retry", row.status);
  if (steps.deps.ownsJobs(jobId)) return rowToJob(steps.deps.retrySubtree(row, now));
  return rowToJob(steps.retry(row, now));
}

/** Retries up to `limit` FAILED jobs (of one queue, or of all); returns how many. */
export function retryAllFailed(st: Statements, steps: TransitionSteps, queue: string | null, limit: number, now: number): number {
  const ids = (queue === null ? st.failedIds.pluck().all(limit) : st.failedIdsOfQueue.pluck().all(queue, limit)) as string[];
  for (const id of ids) {
    const row = steps.require(id);
    // A flow's root is retried with its subtree (which may reset later ids of this batch too).
    if (row.status !== "FAILED") continue;
    if (steps.deps.ownsJobs(id)) steps.deps.retrySubtree(row, now);
    else steps.retry(row, now);
  }
  return ids.length;
}

/** Deletes a job that is not running, leaving a `job:removed` event behind. */
export function removeJob(steps: TransitionSteps, jobId: string, now: number): void {
  const row = steps.require(jobId);
  if (!REMOVABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "remove", row.status);
  // The job with the jobs it owns; HAS_DEPENDENTS while anything of it is still needed.
  for (const gone of steps.deps.removable(row)) {
    steps.delete(gone.id);
    steps.insertEvent("job:removed", gone, gone.status as JobStatus, now);
  }
}

/** Pauses or resumes a queue: claims skip a paused queue's jobs. */
export function setQueuePaused(st: Statements, queue: string, paused: boolean): void {
  st.setPaused.run(queue, paused ? 1 : 0);
}
