// The steps of the PostgreSQL store that a running job's worker takes under its lease: complete,
// fail (final or retried), progress and release. Each checks the lease token in its UPDATE (a
// stale token, or a job that is gone, changes no row and raises LEASE_LOST) and logs its event
// in the same statement; each runs inside a transaction the store opened.
import { LeaseLostError } from "../../core/errors.js";
import type { Job, Json } from "../../core/job.js";
import { encodeProgress, encodeResult } from "../../core/json.js";
import type { FailRequest, Lease } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import type { TransitionSteps } from "./postgres-steps.js";
import { rowToJob, type JobRow } from "./row-decoders.js";

const HELD = "WHERE id = $1 AND lease_token = $2 AND status = 'PROCESSING'";
// The event of the settled row ($3 now, $4 type, $5 extra data as JSON, merged with the attempt's duration).
const LOG = `logged AS (
      INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker, data)
      SELECT $3::bigint, $4::text, id, queue, task, status, attempt, worker,
        (coalesce($5::jsonb, '{}'::jsonb) || jsonb_build_object('durationMs', $3::bigint - coalesce(started_at, $3::bigint)))::text FROM done
    )
    SELECT * FROM done`;

const SQL = {
  complete: `WITH done AS (UPDATE {s}.jobs SET status = 'COMPLETED', result = $6, completed_at = $3, lease_token = NULL,
      lease_expires_at = NULL, expires_at = $3 + result_ttl_s * 1000 ${HELD} RETURNING *), ${LOG}`,
  failFinal: `WITH done AS (UPDATE {s}.jobs SET status = 'FAILED', error = $6, completed_at = $3, lease_token = NULL,
      lease_expires_at = NULL, expires_at = $3 + failure_ttl_s * 1000 ${HELD} RETURNING *), ${LOG}`,
  failRetryLater: `WITH done AS (UPDATE {s}.jobs SET status = 'SCHEDULED', error = $6, run_at = $7, lease_token = NULL,
      lease_expires_at = NULL ${HELD} RETURNING *), ${LOG}`,
  // RetryAfter: the attempt is handed back uncounted, and counted as a postponement.
  failPostpone: `WITH done AS (UPDATE {s}.jobs SET status = 'SCHEDULED', error = $6, run_at = $7, lease_token = NULL,
      lease_expires_at = NULL, attempt = greatest(attempt - 1, 0), postponements = postponements + 1 ${HELD} RETURNING *), ${LOG}`,
  failRetryNow: `WITH done AS (UPDATE {s}.jobs SET status = 'QUEUED', error = $6, enqueued_at = $3, position = nextval('{s}.job_positions'),
      lease_token = NULL, lease_expires_at = NULL ${HELD} RETURNING *), ${LOG}`,
  progress: `WITH done AS (UPDATE {s}.jobs SET progress = $5 ${HELD} RETURNING id, queue, task, attempt, worker),
    logged AS (INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker, data)
      SELECT $3::bigint, 'job:progress', id, queue, task, 'PROCESSING', attempt, worker, $4::text FROM done)
    SELECT id FROM done`,
  // Back to the head of its queue: a position below every tail position the sequence hands out.
  release: `WITH done AS (UPDATE {s}.jobs SET status = 'QUEUED', attempt = greatest(attempt - 1, 0), position = -nextval('{s}.job_positions'),
      lease_token = NULL, lease_expires_at = NULL, enqueued_at = $3 ${HELD} RETURNING *),
    logged AS (INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker)
      SELECT $3::bigint, 'job:released', id, queue, task, status, attempt, worker FROM done)
    SELECT * FROM done`,
} as const;

/** Marks a running job COMPLETED with its result. */
export async function completeJob(tx: Tx, steps: TransitionSteps, lease: Lease, result: Json, now: number): Promise<void> {
  const row = await tx.row<JobRow>(SQL.complete, [lease.jobId, lease.token, now, "job:completed", null, encodeResult(result)]);
  if (row === undefined) throw new LeaseLostError(lease.jobId);
  await steps.ended(tx, row, now);
}

/** Fails a running job for good (retryDelayMs null), or queues it again now or later. */
export async function failJob(tx: Tx, steps: TransitionSteps, request: FailRequest, now: number): Promise<Job> {
  const error = JSON.stringify(request.error);
  const extra = JSON.stringify({ error: request.error });
  const base = [request.jobId, request.token, now];
  let row: JobRow | undefined;
  if (request.retryDelayMs === null) {
    row = await tx.row<JobRow>(SQL.failFinal, [...base, "job:failed", extra, error]);
    if (row !== undefined) await steps.ended(tx, row, now);
  } else if (request.retryDelayMs <= 0 && request.postpone !== true) {
    row = await tx.row<JobRow>(SQL.failRetryNow, [...base, "job:retrying", extra, error]);
    if (row !== undefined) tx.wake(row.queue);
  } else {
    row = await tx.row<JobRow>(request.postpone === true ? SQL.failPostpone : SQL.failRetryLater, [...base, "job:retrying", extra, error, now + Math.max(0, request.retryDelayMs)]);
  }
  if (row === undefined) throw new LeaseLostError(request.jobId);
  if (row.status === "SCHEDULED" && row.run_at !== null && row.run_at <= now) tx.wake(row.queue);
  // A retried job's slots are free again: waiting jobs of its limits may start.
  if (request.retryDelayMs !== null && row.limit_keys !== null) tx.wake(row.queue);
  return rowToJob(row);
}

/** Stores a running job's progress and logs it as an event. */
export async function progressJob(tx: Tx, lease: Lease, progress: Json, now: number): Promise<void> {
  const encoded = encodeProgress(progress);
  const row = await tx.row(SQL.progress, [lease.jobId, lease.token, now, JSON.stringify({ progress }), encoded]);
  if (row === undefined) throw new LeaseLostError(lease.jobId);
}

/** Hands a running job back to the head of its queue without counting its attempt. */
export async function releaseJob(tx: Tx, lease: Lease, now: number): Promise<void> {
  const row = await tx.row<JobRow>(SQL.release, [lease.jobId, lease.token, now]);
  if (row === undefined) throw new LeaseLostError(lease.jobId);
  tx.wake(row.queue);
}
