// Claims and leases on PostgreSQL: the claim (promote due jobs, then lease QUEUED ones in queue
// priority order, FIFO within a queue) and lease extension. A queue's head is read with
// FOR UPDATE SKIP LOCKED, so concurrent claims take different jobs without waiting on each other;
// leasing and its `job:started` events are one statement per queue. Runs inside a transaction.
import type { ClaimedJob } from "../../core/job.js";
import type { ClaimRequest, Lease } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import type { LimitSteps } from "./postgres-limits.js";
import type { TransitionSteps } from "./postgres-steps.js";
import { rowToClaimed, type JobRow } from "./row-decoders.js";

// Due jobs a claim promotes before it leases.
const CLAIM_PROMOTE_LIMIT = 1000;

// The lease of the jobs `picked` chose ($3 now, $4 worker, $5 incarnation, $6 lease expiry), and their events.
const LEASE = `leased AS (
      UPDATE {s}.jobs j SET status = 'PROCESSING', attempt = j.attempt + 1, started_at = $3, worker = $4,
        worker_incarnation = $5, lease_token = replace(gen_random_uuid()::text, '-', ''), lease_expires_at = $6, position = NULL
      FROM picked WHERE j.id = picked.id RETURNING j.*, picked.position AS picked_position
    ), logged AS (
      INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker, data)
      SELECT $3::bigint, 'job:started', id, queue, task, status, attempt, worker,
        json_build_object('durationMs', $3::bigint - coalesce(enqueued_at, $3::bigint))::text FROM leased
    )
    SELECT * FROM leased ORDER BY picked_position`;

const SQL = {
  // Which of the asked queues are paused, and which have lanes of limited jobs waiting.
  queueFlags: `SELECT (SELECT coalesce(array_agg(name), '{}') FROM {s}.queues WHERE paused AND name = ANY($1::text[])) AS paused,
      (SELECT coalesce(array_agg(DISTINCT queue), '{}') FROM {s}.limit_lanes WHERE waiting > 0 AND queue = ANY($1::text[])) AS laned`,
  claimHead: `WITH picked AS (
      SELECT id, position FROM {s}.jobs WHERE status = 'QUEUED' AND queue = $1 ORDER BY position LIMIT $2 FOR UPDATE SKIP LOCKED
    ), ${LEASE}`,
  claimById: `WITH picked AS (SELECT id, position FROM {s}.jobs WHERE id = $1 AND status = 'QUEUED' AND $2::int > 0), ${LEASE}`,
  extendLeases: `UPDATE {s}.jobs j SET lease_expires_at = $1 FROM unnest($2::text[], $3::text[]) AS l(id, token)
    WHERE j.id = l.id AND j.lease_token = l.token AND j.status = 'PROCESSING' RETURNING j.id`,
} as const;

/** Promotes due jobs, then leases up to `limit` QUEUED jobs of unpaused queues, in queue priority order. */
export async function claimJobs(tx: Tx, steps: TransitionSteps, limits: LimitSteps, request: ClaimRequest, now: number): Promise<ClaimedJob[]> {
  await steps.promoteDue(tx, now, CLAIM_PROMOTE_LIMIT);
  const flags = (await tx.row<{ paused: string[]; laned: string[] }>(SQL.queueFlags, [request.queues])) as { paused: string[]; laned: string[] };
  const paused = new Set(flags.paused);
  const laned = new Set(flags.laned);
  const claimed: ClaimedJob[] = [];
  const params = (first: unknown, count: number): unknown[] => [first, count, now, request.worker, request.incarnation, now + request.leaseMs];
  for (const queue of request.queues) {
    if (claimed.length >= request.limit) break;
    if (paused.has(queue)) continue;
    // A queue with lanes of limited jobs is served round-robin (decision 0023); others as ever.
    if (laned.has(queue)) {
      const lease = async (id: string): Promise<ClaimedJob> => rowToClaimed((await tx.row<JobRow>(SQL.claimById, params(id, 1))) as JobRow);
      claimed.push(...(await limits.claimQueue(tx, queue, request.limit - claimed.length, now, lease)));
      continue;
    }
    const rows = await tx.rows<JobRow>(SQL.claimHead, params(queue, request.limit - claimed.length));
    claimed.push(...rows.map(rowToClaimed));
  }
  return claimed;
}

/** Moves the leases whose token still holds to expire `leaseMs` from now; returns the ids of the lost ones (one statement). */
export async function extendLeases(tx: Tx, leases: readonly Lease[], leaseMs: number, now: number): Promise<string[]> {
  if (leases.length === 0) return [];
  const kept = new Set((await tx.rows<{ id: string }>(SQL.extendLeases, [now + leaseMs, leases.map((l) => l.jobId), leases.map((l) => l.token)])).map((r) => r.id));
  return leases.filter((l) => !kept.has(l.jobId)).map((l) => l.jobId);
}
