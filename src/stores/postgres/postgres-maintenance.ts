// The maintenance steps of the PostgreSQL store: recovery of expired leases, pruning (expired
// jobs, old progress and removal events, forgotten workers, expired maintenance rows) and purges
// on request. Every step is bounded: it locks at most its limit of rows (FOR UPDATE SKIP LOCKED,
// so processes running it at once share the work instead of queueing on the same rows) and
// deletes in small batches, which keeps each transaction short and lets autovacuum keep up.
import type { PurgeRequest, RecoverResult } from "../../core/store.js";
import { WORKER_FORGET_MS } from "../../core/worker-registry.js";
import type { Tx } from "./postgres-database.js";
import type { DependencySteps, ExpiredRow } from "./postgres-dependencies.js";
import type { TransitionSteps } from "./postgres-steps.js";
import type { JobRow } from "./row-decoders.js";

// Progress and removal events are pruned after this long; a job's other events go with the job.
const PROGRESS_EVENT_TTL_MS = 3600_000;

const SQL = {
  expiredLeases: `SELECT * FROM {s}.jobs WHERE status = 'PROCESSING' AND lease_expires_at <= $1
    ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
  expiredJobs: "SELECT id, flow_id, dependents FROM {s}.jobs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED",
  purgeable: `SELECT id, flow_id, dependents FROM {s}.jobs WHERE status = $1 AND completed_at < $2 AND ($4::text IS NULL OR queue = $4)
    LIMIT $3 FOR UPDATE SKIP LOCKED`,
  deleteJobs: "DELETE FROM {s}.jobs WHERE id = ANY($1::text[])",
  deleteEventsOfJobs: "DELETE FROM {s}.events WHERE job_id = ANY($1::text[])",
  pruneProgressEvents: `DELETE FROM {s}.events WHERE seq IN (SELECT seq FROM {s}.events
    WHERE type IN ('job:progress', 'job:removed') AND at < $1 LIMIT $2)`,
  // The edges of deleted jobs: the jobs they depended on count their dependents less.
  forgetDependents: `UPDATE {s}.jobs j SET dependents = j.dependents - c.n
    FROM (SELECT depends_on, count(*)::int AS n FROM {s}.job_dependencies WHERE job_id = ANY($1::text[]) GROUP BY depends_on) c
    WHERE j.id = c.depends_on`,
  deleteEdges: "DELETE FROM {s}.job_dependencies WHERE job_id = ANY($1::text[]) OR depends_on = ANY($1::text[])",
  forgetWorkers: "DELETE FROM {s}.workers WHERE heartbeat_at < $1",
} as const;

/** Requeues (or fails, past the stall limit) up to `limit` jobs whose lease expired. */
export async function recoverExpired(tx: Tx, steps: TransitionSteps, limit: number, stallLimit: number, now: number): Promise<RecoverResult> {
  const rows = await tx.rows<JobRow>(SQL.expiredLeases, [now, limit]);
  return steps.stall(tx, rows, now, stallLimit, "its lease expired");
}

/** Deletes up to `limit` jobs past their retention, up to `limit` old progress and removal events, and long-gone workers. */
export async function pruneExpired(tx: Tx, deps: DependencySteps, limit: number, now: number): Promise<number> {
  const ids = await deps.expired(tx, await tx.rows<ExpiredRow>(SQL.expiredJobs, [now, limit]), now);
  await deleteJobs(tx, ids);
  await tx.run(SQL.pruneProgressEvents, [now - PROGRESS_EVENT_TTL_MS, limit]);
  await tx.run(SQL.forgetWorkers, [now - WORKER_FORGET_MS]);
  return ids.length;
}

/** Deletes up to `request.limit` jobs in a finished status that finished before a time. */
export async function purgeFinished(tx: Tx, deps: DependencySteps, request: PurgeRequest): Promise<number> {
  const rows = await tx.rows<ExpiredRow>(SQL.purgeable, [request.status, request.finishedBefore, request.limit, request.queue ?? null]);
  const ids = await deps.expired(tx, rows, null);
  await deleteJobs(tx, ids);
  return ids.length;
}

/** Deletes jobs with their events and edges, a few statements for the whole batch. */
async function deleteJobs(tx: Tx, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.run(SQL.forgetDependents, [ids]);
  await tx.run(SQL.deleteEdges, [ids]);
  await tx.run(SQL.deleteJobs, [ids]);
  await tx.run(SQL.deleteEventsOfJobs, [ids]);
}
