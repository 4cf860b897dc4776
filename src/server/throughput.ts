// Per-queue throughput of the last hour for the dashboard's chart: completed and failed jobs
// counted per minute from the store's event stream. The store keeps no such history, so it
// starts when the server starts and lives in memory.
import type { JobEvent } from "../core/events.js";

/** Width of one bucket. */
export const BUCKET_MS = 60_000;
/** Number of buckets kept: one hour. */
export const BUCKET_COUNT = 60;

/** One queue's counts, oldest minute first. */
export interface QueueThroughput {
  completed: number[];
  failed: number[];
}

/** The history as the API shows it. */
export interface ThroughputView {
  bucket_seconds: number;
  /** Start of the oldest bucket (ISO 8601 UTC). */
  since: string;
  /** When counting began: minutes before it show zero because nothing was recorded. */
  recording_since: string;
  queues: Record<string, QueueThroughput>;
}

/** Counts job:completed and job:failed events into per-minute buckets per queue. */
export class ThroughputHistory {
  // Keyed by minute number (epoch ms / BUCKET_MS); old minutes are dropped as time moves on.
  private readonly minutes = new Map<string, Map<number, { completed: number; failed: number }>>();
  private readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Counts one event, if it is a completion or a final failure. */
  record(event: JobEvent): void {
    if (event.type !== "job:completed" && event.type !== "job:failed") return;
    const minute = Math.floor(event.at / BUCKET_MS);
    if (minute <= this.currentMinute() - BUCKET_COUNT) return;
    let queue = this.minutes.get(event.queue);
    if (queue === undefined) {
      queue = new Map();
      this.minutes.set(event.queue, queue);
    }
    const bucket = queue.get(minute) ?? { completed: 0, failed: 0 };
    if (event.type === "job:completed") bucket.completed += 1;
    else bucket.failed += 1;
    queue.set(minute, bucket);
  }

  /** The last hour, oldest minute first, for every queue seen in it. */
  view(): ThroughputView {
    const last = this.currentMinute();
    const first = last - BUCKET_COUNT + 1;
    const queues: Record<string, QueueThroughput> = {};
    for (const [name, buckets] of this.minutes) {
      for (const minute of buckets.keys()) if (minute < first) buckets.delete(minute);
      if (buckets.size === 0) {
        this.minutes.delete(name);
        continue;
      }
      const series: QueueThroughput = { completed: new Array<number>(BUCKET_COUNT).fill(0), failed: new Array<number>(BUCKET_COUNT).fill(0) };
      for (const [minute, counts] of buckets) {
        const index = Math.min(minute, last) - first;
        series.completed[index] = (series.completed[index] ?? 0) + counts.completed;
        series.failed[index] = (series.failed[index] ?? 0) + counts.failed;
      }
      queues[name] = series;
    }
    return {
      bucket_seconds: BUCKET_MS / 1000,
      since: new Date(first * BUCKET_MS).toISOString(),
      recording_since: new Date(this.startedAt).toISOString(),
      queues,
    };
  }

  private currentMinute(): number {
    return Math.floor(this.now() / BUCKET_MS);
  }
}
