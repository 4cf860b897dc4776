// The worker registry of the SQLite store, and the store's event feed: the steps that run
// inside a transaction the store opened (register, heartbeat, unregister), and the watcher that
// reads new events whenever the database changes.
import { WorkerNameTakenError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { WorkerInfo } from "../../core/job.js";
import type { Database } from "better-sqlite3";
import { isLiveNamesake } from "../../core/worker-registry.js";
import { rowToEvent, rowToWorker, type EventRow, type JobRow, type WorkerRow } from "./row-decoders.js";
import type { SqliteNotifier } from "./sqlite-notifier.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

// A registry entry younger than this may belong to a live namesake (checked by pid on this host).
const LIVE_NAMESAKE_MS = 60_000;

/** Registers a worker incarnation (inside a write); returns how many jobs of its predecessor went back. */
export function registerWorker(st: Statements, steps: TransitionSteps, info: WorkerInfo, stallLimit: number, now: number): number {
  const existing = st.workerByName.get(info.name) as WorkerRow | undefined;
  if (existing !== undefined && existing.heartbeat_at >= now - LIVE_NAMESAKE_MS && isLiveNamesake(rowToWorker(existing), info)) {
    throw new WorkerNameTakenError(info.name, existing.pid);
  }
  upsertWorker(st, info, now);
  // Jobs held by an earlier incarnation of this name: that process is gone, release them now.
  const held = st.jobsOfWorker.all(info.name, info.incarnation) as JobRow[];
  return steps.stall(held, now, stallLimit, "its worker restarted").requeued;
}

/** Refreshes a worker's entry (inside a write); false when another incarnation holds the name. */
export function heartbeatWorker(st: Statements, info: WorkerInfo, now: number): boolean {
  const existing = st.workerByName.get(info.name) as WorkerRow | undefined;
  if (existing !== undefined && existing.incarnation !== info.incarnation) return false;
  upsertWorker(st, info, now);
  return true;
}

/** Drops a worker's entry (inside a write), unless another incarnation holds the name by now. */
export function unregisterWorker(st: Statements, name: string, incarnation: string): void {
  st.deleteWorker.run(name, incarnation);
}

/** Workers with a heartbeat since `since`. */
export function liveWorkers(st: Statements, since: number): WorkerInfo[] {
  return (st.liveWorkers.all(since) as WorkerRow[]).map(rowToWorker);
}

/**
 * Delivers every event after `afterSeq` (default: from now on) to `listener`, then each new one
 * as the database changes, until the returned function is called.
 */
export function watchEvents(st: Statements, notifier: SqliteNotifier, isClosed: () => boolean, listener: (event: JobEvent) => void, afterSeq?: string): () => void {
  const end = st.lastEventSeq.pluck().get() as number;
  // A seq past the log's end (from a database that was replaced, or made up) resumes from now:
  // events after it would not come until the log caught up.
  let last = afterSeq !== undefined && /^\d+$/.test(afterSeq) ? Math.min(Number(afterSeq), end) : end;
  const deliver = (): void => {
    if (isClosed()) return;
    for (;;) {
      const batch = st.eventsAfter.all(last, 500) as EventRow[];
      for (const row of batch) {
        last = row.seq;
        listener(rowToEvent(row));
      }
      if (batch.length < 500) return;
    }
  };
  deliver();
  return notifier.watch(deliver);
}

/**
 * Calls `onCancel` with each job canceled while leased to `worker` (the canceled event names the
 * worker that held the job), from now on, each time the database changes: a read of the events
 * written since the last look, by seq, so its cost follows the events written, not the log's
 * length (decision 0027). The worker confirms every notice with its lease before acting on it.
 */
export function watchCancels(db: Database, st: Statements, notifier: SqliteNotifier, isClosed: () => boolean, worker: string, onCancel: (jobId: string) => void): () => void {
  const canceled = db.prepare("SELECT job_id FROM events WHERE seq > ? AND seq <= ? AND type = 'job:canceled' AND worker = ?").pluck();
  let last = st.lastEventSeq.pluck().get() as number;
  const check = (): void => {
    if (isClosed()) return;
    let ids: string[];
    try {
      const end = st.lastEventSeq.pluck().get() as number;
      if (end <= last) return;
      ids = canceled.all(last, end, worker) as string[];
      last = end;
    } catch {
      // A read refused this moment (the file closed or locked): the next change reads again.
      return;
    }
    for (const id of ids) onCancel(id);
  };
  return notifier.watch(check);
}

function upsertWorker(st: Statements, info: WorkerInfo, now: number): void {
  st.upsertWorker.run({
    name: info.name,
    incarnation: info.incarnation,
    host: info.host,
    pid: info.pid,
    queues: JSON.stringify(info.queues),
    // Absent in a WorkerInfo from code built before `tasks` existed: any task.
    tasks: JSON.stringify(info.tasks ?? []),
    concurrency: info.concurrency,
    state: info.state,
    started_at: info.startedAt,
    heartbeat_at: now,
    current_jobs: JSON.stringify(info.currentJobs),
    processed: info.processed,
    failed: info.failed,
  });
}
