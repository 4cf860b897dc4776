// The operator's actions on the PostgreSQL store: cancel, retry (one job or the failed ones),
// remove, and pausing a queue. Each locks the job's row (FOR UPDATE) before it checks the status
// against core/job-states.ts, and runs inside a transaction the store opened.
import { InvalidTransitionError, JobNotFoundError } from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import { CANCELABLE, REMOVABLE, RETRYABLE, type JobStatus } from "../../core/job-states.js";
import type { Tx } from "./postgres-database.js";
import type { DependencySteps } from "./postgres-dependencies.js";
import type { TransitionSteps } from "./postgres-steps.js";
import { rowToJob, type JobRow } from "./row-decoders.js";

const SQL = {
  locked: "SELECT * FROM {s}.jobs WHERE id = $1 FOR UPDATE",
  failedIds: "SELECT id FROM {s}.jobs WHERE status = 'FAILED' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
  failedIdsOfQueue: "SELECT id FROM {s}.jobs WHERE status = 'FAILED' AND queue = $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
  setPaused: "INSERT INTO {s}.queues (name, paused) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused",
} as const;

async function lockedRow(tx: Tx, jobId: string): Promise<JobRow> {
  const row = await tx.row<JobRow>(SQL.locked, [jobId]);
  if (row === undefined) throw new JobNotFoundError(jobId);
  return row;
}

/** Cancels a job that has not finished, with the unfinished jobs it owns. */
export async function cancelJob(tx: Tx, steps: TransitionSteps, deps: DependencySteps, jobId: string, now: number): Promise<Job> {
  const row = await lockedRow(tx, jobId);
  if (!CANCELABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "cancel", row.status);
  const updated = await steps.cancelRow(tx, jobId, now);
  await deps.cancelOwned(tx, updated, now);
  return rowToJob(await steps.require(tx, jobId));
}

/** Queues a FAILED or CANCELED job again with a fresh attempt count. */
export async function retryJob(tx: Tx, steps: TransitionSteps, deps: DependencySteps, jobId: string, now: number): Promise<Job> {
  const row = await lockedRow(tx, jobId);
  if (!RETRYABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "retry", row.status);
  if (await deps.ownsJobs(tx, jobId)) return rowToJob(await deps.retrySubtree(tx, row, now));
  return rowToJob(await steps.retry(tx, row, now));
}

/** Retries up to `limit` FAILED jobs (of one queue, or of all); returns how many. */
export async function retryAllFailed(tx: Tx, steps: TransitionSteps, deps: DependencySteps, queue: string | null, limit: number, now: number): Promise<number> {
  const ids = (await tx.rows<{ id: string }>(queue === null ? SQL.failedIds : SQL.failedIdsOfQueue, queue === null ? [limit] : [limit, queue])).map((r) => r.id);
  for (const id of ids) {
    const row = await steps.require(tx, id);
    // A flow's root is retried with its subtree (which may reset later ids of this batch too).
    if (row.status !== "FAILED") continue;
    if (await deps.ownsJobs(tx, id)) await deps.retrySubtree(tx, row, now);
    else await steps.retry(tx, row, now);
  }
  return ids.length;
}

/** Deletes a job that is not running, leaving a `job:removed` event behind. */
export async function removeJob(tx: Tx, steps: TransitionSteps, deps: DependencySteps, jobId: string, now: number): Promise<void> {
  const row = await lockedRow(tx, jobId);
  if (!REMOVABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "remove", row.status);
  for (const gone of await deps.removable(tx, row)) {
    await steps.delete(tx, gone.id);
    await steps.insertEvent(tx, "job:removed", gone, gone.status as JobStatus, now);
  }
}

/** Pauses or resumes a queue: claims skip a paused queue's jobs. */
export async function setQueuePaused(tx: Tx, queue: string, paused: boolean): Promise<void> {
  await tx.run(SQL.setPaused, [queue, paused]);
  if (!paused) tx.wake(queue);
}
