// Finds queues whose jobs cannot run: jobs wait in QUEUED but no live worker listens there.
// The most common surprise of a new deployment, so `stats` and `health` both report it.
import type { QueueStats, WorkerInfo } from "../core/job.js";
import { unattendedQueueStats } from "../core/worker-registry.js";
import { formatDuration } from "./duration.js";

/** A queue with waiting jobs and no worker listening on it. */
export interface QueueAlert {
  queue: string;
  waiting: number;
  oldestWaitingMs: number | null;
  message: string;
}

/** Alerts for every queue with QUEUED jobs that no live worker listens on (paused queues excepted). */
export function unattendedQueues(stats: readonly QueueStats[], workers: readonly WorkerInfo[]): QueueAlert[] {
  return unattendedQueueStats(stats, workers).map((s) => ({
    queue: s.queue,
    waiting: s.counts.QUEUED,
    oldestWaitingMs: s.oldestWaitingMs,
    message:
      `${s.counts.QUEUED} job(s) wait in queue "${s.queue}"` +
      (s.oldestWaitingMs === null ? "" : ` (oldest ${formatDuration(s.oldestWaitingMs)})`) +
      ` but no worker listens on it: start one with \`caudex worker --queues ${s.queue}\`` +
      " or add it to CAUDEX_QUEUES.",
  }));
}

/** How many live workers listen on `queue`. */
export function workersOn(queue: string, workers: readonly WorkerInfo[]): number {
  return workers.filter((w) => w.queues.includes(queue)).length;
}
