// The maintenance steps of the SQLite store: the cheap look for due jobs before a promotion,
// recovery of expired leases, pruning (expired jobs, old progress and removal events, old finish
// buckets, empty counters, forgotten workers) and purges on request. The steps that write run
// inside a transaction the store opened; which process prunes is decided by maintenance-leases.ts.
import type { PurgeRequest, RecoverResult } from "../../core/store.js";
import { WORKER_FORGET_MS } from "../../core/worker-registry.js";
import type { JobRow } from "./row-decoders.js";
import type { ExpiredRow } from "./sqlite-dependencies.js";
import { FINISH_BUCKET_MS } from "./sqlite-reads.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

// Progress and removal events are pruned after this long; a job's other events go with the job
// (TransitionSteps.delete), and a removed job's last event outlives it.
const PROGRESS_EVENT_TTL_MS = 3600_000;
// Finish buckets are kept this long: the dashboard's throughput chart shows the last hour.
const FINISH_COUNT_TTL_MS = 2 * 3600_000;

/** Whether some SCHEDULED job is due: a read, so that an idle tick takes no write lock. */
export function hasDueJobs(st: Statements, now: number): boolean {
  return st.anyDue.get(now) !== undefined;
}

/** Requeues (or fails, past the stall limit) up to `limit` jobs whose lease expired. */
export function recoverExpired(st: Statements, steps: TransitionSteps, limit: number, stallLimit: number, now: number): RecoverResult {
  const rows = st.expiredLeases.all(now, limit) as JobRow[];
  return steps.stall(rows, now, stallLimit, "its lease expired");
}

/**
 * Deletes up to `limit` jobs past their retention, up to `limit` old progress and removal events
 * (reading no more than that: events_prunable), old finish buckets, empty counters, and
 * long-gone workers.
 */
export function pruneExpired(st: Statements, steps: TransitionSteps, limit: number, now: number): number {
  const ids = steps.deps.expired(st.expiredJobs.all(now, limit) as ExpiredRow[], now);
  for (const id of ids) steps.delete(id);
  st.pruneProgressEvents.run(now - PROGRESS_EVENT_TTL_MS, limit);
  st.pruneFinishCounts.run({ before_bucket: Math.floor((now - FINISH_COUNT_TTL_MS) / FINISH_BUCKET_MS), limit });
  st.pruneEmptyCounts.run();
  st.forgetWorkers.run(now - WORKER_FORGET_MS);
  return ids.length;
}

/** Deletes up to `request.limit` jobs in a finished status that finished before a time. */
export function purgeFinished(st: Statements, steps: TransitionSteps, request: PurgeRequest): number {
  const params = { status: request.status, before: request.finishedBefore, limit: request.limit, queue: request.queue };
  const rows = (request.queue === undefined ? st.purgeable.all(params) : st.purgeableOfQueue.all(params)) as ExpiredRow[];
  const ids = steps.deps.expired(rows, null);
  for (const id of ids) steps.delete(id);
  return ids.length;
}
