// The worker registry of the SQLite store, and the store's event feed: the steps that run
// inside a transaction the store opened (register, heartbeat, unregister), and the watcher that
// reads new events whenever the database changes.
import { WorkerNameTakenError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { WorkerInfo } from "../../core/job.js";
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
