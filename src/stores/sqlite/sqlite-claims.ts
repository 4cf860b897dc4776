// Claims and leases on SQLite: the read-only look for work that comes before a claim, the claim
// (promote due jobs, then lease QUEUED ones in queue priority order) and lease extension. The
// claim and the extension run inside a transaction the store opened; none opens one itself.
import type BetterSqlite3 from "better-sqlite3";
import { newToken } from "../../core/ids.js";
import type { ClaimedJob } from "../../core/job.js";
import type { ClaimRequest, Lease } from "../../core/store.js";
import { rowToClaimed, type JobRow } from "./row-decoders.js";
import { preparedOnce, type Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

// Due jobs a claim promotes before it leases.
const CLAIM_PROMOTE_LIMIT = 1000;

/** Whether one of `queues` has a QUEUED job, or some job is due: a read, outside any transaction. */
export function mayHaveWork(db: BetterSqlite3.Database, st: Statements, queues: readonly string[], now: number): boolean {
  const check = preparedOnce(db, `SELECT 1 FROM jobs WHERE status = 'QUEUED' AND queue IN (${queues.map(() => "?").join(",")}) LIMIT 1`);
  return check.get(...queues) !== undefined || st.anyDue.get(now) !== undefined;
}

/** Promotes due jobs, then leases up to `limit` QUEUED jobs of unpaused queues, in queue priority order. */
export function claimJobs(st: Statements, steps: TransitionSteps, request: ClaimRequest, now: number): ClaimedJob[] {
  steps.promoteDue(now, CLAIM_PROMOTE_LIMIT);
  const paused = steps.pausedQueues();
  const claimed: ClaimedJob[] = [];
  for (const queue of request.queues) {
    if (claimed.length >= request.limit) break;
    if (paused.has(queue)) continue;
    const lease = (id: string): ClaimedJob => {
      const token = newToken();
      const row = st.claimOne.get({ id, now, worker: request.worker, incarnation: request.incarnation, token, expires: now + request.leaseMs }) as JobRow;
      steps.event("job:started", row, now, { durationMs: now - (row.enqueued_at ?? now) });
      return rowToClaimed(row);
    };
    // A queue with lanes of limited jobs is served round-robin (decision 0023); others as ever.
    if (steps.limits.hasLanes(queue)) {
      claimed.push(...steps.limits.claimQueue(queue, request.limit - claimed.length, now, lease));
      continue;
    }
    const ids = st.headOfQueue.pluck().all(queue, request.limit - claimed.length) as string[];
    for (const id of ids) claimed.push(lease(id));
  }
  return claimed;
}

/** Moves the leases whose token still holds to expire `leaseMs` from now; returns the ids of the lost ones. */
export function extendLeases(st: Statements, leases: readonly Lease[], leaseMs: number, now: number): string[] {
  const expires = now + leaseMs;
  const lost: string[] = [];
  for (const lease of leases) {
    const info = st.extendLease.run({ id: lease.jobId, token: lease.token, expires });
    if (info.changes === 0) lost.push(lease.jobId);
  }
  return lost;
}
