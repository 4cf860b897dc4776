// The worker registry of the SQLite store, and the store's event feed: the steps that run
// inside a transaction the store opened (register, heartbeat), and the watcher that reads new
// events whenever the database changes.
import { WorkerNameTakenError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { WorkerInfo } from "../../core/job.js";
import { isLiveNamesake } from "../../core/worker-registry.js";
import type { JobRows } from "./job-rows.js";
import { rowToEvent, rowToWorker, type EventRow, type JobRow, type WorkerRow } from "./rows.js";
import type { SqliteNotifier } from "./sqlite-notifier.js";
import type { Statements } from "./statements.js";

// A registry entry younger than this may belong to a live namesake (checked by pid on this host).
const LIVE_NAMESAKE_MS = 60_000;

/** Registers a worker incarnation (inside a write); returns how many jobs of its predecessor went back. */
export function registerWorker(st: Statements, rows: JobRows, info: WorkerInfo, stallLimit: number, now: number): number {
  const existing = st.workerByName.get(info.name) as WorkerRow | undefined;
  if (existing !== undefined && existing.heartbeat_at >= now - LIVE_NAMESAKE_MS && isLiveNamesake(rowToWorker(existing), info)) {
    throw new WorkerNameTakenError(info.name, existing.pid);
  }
  rows.upsertWorker(info, now);
  // Jobs held by an earlier incarnation of this name: that process is gone, release them now.
  const held = st.jobsOfWorker.all(info.name, info.incarnation) as JobRow[];
  return rows.stall(held, now, stallLimit, "its worker restarted").requeued;
}

/** Refreshes a worker's entry (inside a write); false when another incarnation holds the name. */
export function heartbeatWorker(st: Statements, rows: JobRows, info: WorkerInfo, now: number): boolean {
  const existing = st.workerByName.get(info.name) as WorkerRow | undefined;
  if (existing !== undefined && existing.incarnation !== info.incarnation) return false;
  rows.upsertWorker(info, now);
  return true;
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
