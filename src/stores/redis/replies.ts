// Decoding of the store's reads (list and stats replies, a job's timeline) into the store
// contract's shapes.
import type { JobEvent } from "../../core/events.js";
import type { JobPage, QueueStats } from "../../core/job.js";
import { JOB_STATUSES, type JobStatus } from "../../core/job-states.js";
import { MAX_JOB_EVENTS } from "../../core/store.js";
import { decodeEvent, decodeJob, firstEvent, hashFields, unstoredEvents } from "./job-hash.js";

/**
 * A job's events, oldest first, the first MAX_JOB_EVENTS: its first event and its latest
 * attempt's are rebuilt from the hash; `timeline` holds the stored entries (get.lua reads one
 * fewer than the most, the first event being rebuilt).
 */
export function jobEventsOf(jobId: string, fields: Map<string, string>, timeline: readonly string[]): JobEvent[] {
  if (fields.size === 0) return [];
  const queue = fields.get("queue") ?? "";
  const task = fields.get("task") ?? "";
  const events = [firstEvent(jobId, fields), ...timeline.map((body) => decodeEvent(body, jobId, queue, task)), ...unstoredEvents(jobId, fields)];
  return events.slice(0, MAX_JOB_EVENTS);
}

/** The list script's reply: the next cursor ('' at the end), then (id, flat hash) pairs. */
export function decodeJobPage(data: unknown[]): JobPage {
  const [next, ...entries] = data as [string, ...Array<[string, unknown]>];
  return { jobs: entries.map(([id, flat]) => decodeJob(id, hashFields(flat))), nextCursor: next === "" ? null : next };
}

/** The stats script's reply: the server's time, then one row per queue. */
export function decodeStats(data: unknown[]): QueueStats[] {
  const now = Number(data[0]);
  return (data.slice(1) as Array<[string, number, string, number, number, ...number[]]>)
    .map(([queue, paused, oldest, done, failed, ...counts]) => ({
      queue,
      counts: Object.fromEntries(JOB_STATUSES.map((s, i) => [s, Number(counts[i] ?? 0)])) as Record<JobStatus, number>,
      oldestWaitingMs: oldest === "" ? null : Math.max(0, now - Number(oldest)),
      completedLastMinute: Number(done),
      failedLastMinute: Number(failed),
      paused: Number(paused) === 1,
    }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}
