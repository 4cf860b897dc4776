// Per-queue throughput of the last hour for the dashboard's chart: completed and failed jobs
// per minute, as the store counts them (Store.finishesPerMinute). Every server process shows
// the same history, from before it started, and none has to watch the event stream for it.
import type { MinuteFinishes } from "../core/job.js";

/** Width of one bucket. */
export const BUCKET_MS = 60_000;
/** Number of buckets shown: one hour. */
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
  queues: Record<string, QueueThroughput>;
}

/** Start (epoch ms) of the oldest minute shown at `now`. */
export function throughputSince(now: number): number {
  return (Math.floor(now / BUCKET_MS) - BUCKET_COUNT + 1) * BUCKET_MS;
}

/** Lays the store's per-minute rows out as one hour of buckets per queue, newest minute last. */
export function throughputView(rows: readonly MinuteFinishes[], now: number): ThroughputView {
  const first = throughputSince(now) / BUCKET_MS;
  const last = first + BUCKET_COUNT - 1;
  const queues: Record<string, QueueThroughput> = {};
  for (const row of rows) {
    const minute = Math.floor(row.minute / BUCKET_MS);
    if (minute < first) continue;
    // A finish stamped by a clock slightly ahead of this one counts in the newest minute.
    const index = Math.min(minute, last) - first;
    const series = (queues[row.queue] ??= { completed: new Array<number>(BUCKET_COUNT).fill(0), failed: new Array<number>(BUCKET_COUNT).fill(0) });
    series.completed[index] = (series.completed[index] ?? 0) + row.completed;
    series.failed[index] = (series.failed[index] ?? 0) + row.failed;
  }
  return { bucket_seconds: BUCKET_MS / 1000, since: new Date(first * BUCKET_MS).toISOString(), queues };
}
