// Rules of the worker registry that every store applies the same way.
import type { QueueStats, WorkerInfo } from "./job.js";

/** A worker counts as live while its last heartbeat is younger than this (listings, health). */
export const LIVE_WORKER_WINDOW_MS = 30_000;

/** Workers whose last heartbeat is older than this are gone from the registry for good. */
export const WORKER_FORGET_MS = 24 * 3600_000;

/**
 * True when `existing` is a different, still running process on this same host: then
 * `incoming` must not take over its name (and its jobs). On another host liveness cannot be
 * checked, so a newer incarnation always wins there, as a restarted worker should.
 */
export function isLiveNamesake(existing: Pick<WorkerInfo, "host" | "pid" | "incarnation">, incoming: WorkerInfo): boolean {
  if (existing.incarnation === incoming.incarnation) return false;
  if (existing.host !== incoming.host || existing.pid === incoming.pid) return false;
  try {
    process.kill(existing.pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Queues whose jobs cannot run: jobs wait in QUEUED, the queue is not paused, and no live
 * worker (other than one stopping) listens on it. Shared by the API's health and the CLI.
 */
export function unattendedQueueStats(stats: readonly QueueStats[], workers: readonly WorkerInfo[]): QueueStats[] {
  const listened = new Set(workers.filter((w) => w.state !== "stopping").flatMap((w) => w.queues));
  return stats.filter((s) => s.counts.QUEUED > 0 && !s.paused && !listened.has(s.queue));
}
