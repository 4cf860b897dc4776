// The worker registry of the PostgreSQL store and its revoked dashboard sessions: register (which
// releases an earlier incarnation's jobs in the same transaction), heartbeat, unregister, the live
// list; revocations kept until the session would have expired.
import { WorkerNameTakenError } from "../../core/errors.js";
import type { WorkerInfo } from "../../core/job.js";
import { checkSessionRevocation } from "../../core/session-revocation.js";
import { isLiveNamesake } from "../../core/worker-registry.js";
import type { Tx } from "./postgres-database.js";
import type { TransitionSteps } from "./postgres-steps.js";
import { rowToWorker, type JobRow, type WorkerRow } from "./row-decoders.js";

// A registry entry younger than this may belong to a live namesake (checked by pid on this host).
const LIVE_NAMESAKE_MS = 60_000;
// Expired revocations deleted per revocation: more than one, so the table shrinks while in use.
const PRUNE_PER_REVOCATION = 100;

const WORKER_COLUMNS = "name, incarnation, host, pid, queues, concurrency, state, started_at, heartbeat_at, current_jobs, processed, failed, tasks";
const SQL = {
  lockedWorker: "SELECT * FROM {s}.workers WHERE name = $1 FOR UPDATE",
  upsertWorker: `INSERT INTO {s}.workers AS w (${WORKER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, host = excluded.host, pid = excluded.pid,
      queues = excluded.queues, concurrency = excluded.concurrency, state = excluded.state, started_at = excluded.started_at,
      heartbeat_at = excluded.heartbeat_at, current_jobs = excluded.current_jobs, processed = excluded.processed, failed = excluded.failed, tasks = excluded.tasks`,
  // A heartbeat refreshes its own incarnation's entry only: nothing comes back when another holds the name.
  heartbeat: `INSERT INTO {s}.workers AS w (${WORKER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues,
      concurrency = excluded.concurrency, state = excluded.state, started_at = excluded.started_at,
      heartbeat_at = excluded.heartbeat_at, current_jobs = excluded.current_jobs, processed = excluded.processed, failed = excluded.failed, tasks = excluded.tasks
    WHERE w.incarnation = excluded.incarnation RETURNING 1`,
  jobsOfWorker: "SELECT * FROM {s}.jobs WHERE status = 'PROCESSING' AND worker = $1 AND worker_incarnation IS DISTINCT FROM $2 ORDER BY id FOR UPDATE",
  deleteWorker: "DELETE FROM {s}.workers WHERE name = $1 AND incarnation = $2",
  liveWorkers: "SELECT * FROM {s}.workers WHERE heartbeat_at >= $1 ORDER BY name",
  revoke: `INSERT INTO {s}.revoked_sessions AS r (id, expires_at) VALUES ($1, $2)
    ON CONFLICT (id) DO UPDATE SET expires_at = greatest(r.expires_at, excluded.expires_at)`,
  pruneRevocations: `DELETE FROM {s}.revoked_sessions WHERE id IN (SELECT id FROM {s}.revoked_sessions WHERE expires_at <= $1
    ORDER BY expires_at LIMIT ${PRUNE_PER_REVOCATION})`,
  revoked: "SELECT 1 FROM {s}.revoked_sessions WHERE id = $1 AND expires_at > $2",
} as const;

function workerParams(info: WorkerInfo, now: number): unknown[] {
  return [info.name, info.incarnation, info.host, info.pid, JSON.stringify(info.queues), info.concurrency, info.state, info.startedAt, now, JSON.stringify(info.currentJobs), info.processed, info.failed, JSON.stringify(info.tasks ?? [])];
}

/** Registers a worker incarnation; returns how many jobs of its predecessor went back. */
export async function registerWorker(tx: Tx, steps: TransitionSteps, info: WorkerInfo, stallLimit: number, now: number): Promise<number> {
  const existing = await tx.row<WorkerRow>(SQL.lockedWorker, [info.name]);
  if (existing !== undefined && existing.heartbeat_at >= now - LIVE_NAMESAKE_MS && isLiveNamesake(rowToWorker(existing), info)) {
    throw new WorkerNameTakenError(info.name, existing.pid);
  }
  await tx.run(SQL.upsertWorker, workerParams(info, now));
  const held = await tx.rows<JobRow>(SQL.jobsOfWorker, [info.name, info.incarnation]);
  return (await steps.stall(tx, held, now, stallLimit, "its worker restarted")).requeued;
}

/** Refreshes a worker's entry; false when another incarnation holds the name. */
export async function heartbeatWorker(tx: Tx, info: WorkerInfo, now: number): Promise<boolean> {
  return (await tx.run(SQL.heartbeat, workerParams(info, now))) === 1;
}

/** Drops a worker's entry, unless another incarnation holds the name by now. */
export async function unregisterWorker(tx: Tx, name: string, incarnation: string): Promise<void> {
  await tx.run(SQL.deleteWorker, [name, incarnation]);
}

/** Workers with a heartbeat since `since`. */
export async function liveWorkers(tx: Tx, since: number): Promise<WorkerInfo[]> {
  return (await tx.rows<WorkerRow>(SQL.liveWorkers, [since])).map(rowToWorker);
}

/** Records a revocation and drops some expired ones. */
export async function revokeSession(tx: Tx, sessionId: string, expiresAt: number, now: number): Promise<void> {
  checkSessionRevocation(sessionId, expiresAt);
  await tx.run(SQL.pruneRevocations, [now]);
  if (expiresAt > now) await tx.run(SQL.revoke, [sessionId, expiresAt]);
}

/** True while the session's revocation has not expired. */
export async function isSessionRevoked(tx: Tx, sessionId: string, now: number): Promise<boolean> {
  checkSessionRevocation(sessionId);
  return (await tx.row(SQL.revoked, [sessionId, now])) !== undefined;
}
