// The steps of the SQLite store that a running job's worker takes under its lease: complete,
// fail (final or retried), progress and release. Each checks the lease token in its UPDATE (a
// stale token, or a job that is gone, changes no row and raises LEASE_LOST) and runs inside a
// transaction the store opened; none opens one itself.
import { LeaseLostError } from "../../core/errors.js";
import type { Job, Json } from "../../core/job.js";
import { encodeProgress, encodeResult } from "../../core/json.js";
import type { FailRequest, Lease } from "../../core/store.js";
import { rowToJob, type JobRow } from "./row-decoders.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

/** Marks a running job COMPLETED with its result. */
export function completeJob(st: Statements, steps: TransitionSteps, lease: Lease, result: Json, now: number): void {
  const row = st.complete.get({ id: lease.jobId, token: lease.token, now, result: encodeResult(result) }) as JobRow | undefined;
  if (row === undefined) throw new LeaseLostError(lease.jobId);
  steps.event("job:completed", row, now, { durationMs: now - (row.started_at ?? now) });
  steps.ended(row, now);
}

/** Fails a running job for good (retryDelayMs null), or queues it again now or later. */
export function failJob(st: Statements, steps: TransitionSteps, request: FailRequest, now: number): Job {
  const params = { id: request.jobId, token: request.token, now, error: JSON.stringify(request.error) };
  let row: JobRow | undefined;
  if (request.retryDelayMs === null) {
    row = st.failFinal.get(params) as JobRow | undefined;
    if (row !== undefined) {
      steps.event("job:failed", row, now, { error: request.error, durationMs: now - (row.started_at ?? now) });
      steps.ended(row, now);
    }
  } else {
    const current = st.jobById.get(request.jobId) as JobRow | undefined;
    row =
      // (A postponement always goes through SCHEDULED, due at once for a delay of 0: it is counted as one.)
      request.retryDelayMs <= 0 && request.postpone !== true
        ? (st.failRetryNow.get({ ...params, position: steps.tailPosition(current?.queue ?? "") }) as JobRow | undefined)
        : (st[request.postpone === true ? "failPostpone" : "failRetryLater"].get({ ...params, run_at: now + request.retryDelayMs }) as JobRow | undefined);
    if (row !== undefined) steps.event("job:retrying", row, now, { error: request.error, durationMs: now - (row.started_at ?? now) });
  }
  if (row === undefined) throw new LeaseLostError(request.jobId);
  return rowToJob(row);
}

/** Stores a running job's progress and logs it as an event. */
export function progressJob(st: Statements, steps: TransitionSteps, lease: Lease, progress: Json, now: number): void {
  const row = st.progress.get({ id: lease.jobId, token: lease.token, progress: encodeProgress(progress) }) as JobRow | undefined;
  if (row === undefined) throw new LeaseLostError(lease.jobId);
  steps.insertEvent("job:progress", row, "PROCESSING", now, { progress });
}

/** Hands a running job back to the head of its queue without counting its attempt. */
export function releaseJob(st: Statements, steps: TransitionSteps, lease: Lease, now: number): void {
  const current = st.jobById.get(lease.jobId) as JobRow | undefined;
  if (current === undefined) throw new LeaseLostError(lease.jobId);
  const row = st.release.get({ id: lease.jobId, token: lease.token, now, position: steps.headPosition(current.queue) }) as JobRow | undefined;
  if (row === undefined) throw new LeaseLostError(lease.jobId);
  steps.event("job:released", row, now);
}
