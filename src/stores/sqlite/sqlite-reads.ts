// The reads of the SQLite store: one job, its timeline, filtered cursor-paged listings, queue
// stats, finishes per minute and health. Each hits an index of migrations/ (001-init.sql; a
// schedule's jobs: 004-schedules.sql); stats and finishes read the counters of
// 006-status-counts.sql in one consistent snapshot, never the jobs; nothing here changes a job.
import type BetterSqlite3 from "better-sqlite3";
import type { JobEvent } from "../../core/events.js";
import type { Job, JobFilter, JobPage, MinuteFinishes, QueueStats } from "../../core/job.js";
import { InvalidCursorError } from "../../core/errors.js";
import { gatherFinishes } from "../../core/finishes.js";
import { listingCursorShape } from "../../core/listing-cursor.js";
import { JOB_STATUSES, type JobStatus } from "../../core/job-states.js";
import { rowToEvent, rowToJob, type EventRow, type JobRow } from "./row-decoders.js";
import { preparedOnce, type Statements } from "./sql-statements.js";
import type { StoreHealth } from "../../core/store.js";

/** Width of the finish buckets of job_finishes: completed_at / 10000 (006-status-counts.sql). */
export const FINISH_BUCKET_MS = 10_000;

/** The job with this id, or null. */
export function getJob(st: Statements, jobId: string): Job | null {
  const row = st.jobById.get(jobId) as JobRow | undefined;
  return row === undefined ? null : rowToJob(row);
}

/** A job's timeline, oldest first (at most MAX_JOB_EVENTS). */
export function jobEvents(st: Statements, jobId: string): JobEvent[] {
  return (st.eventsOfJob.all(jobId) as EventRow[]).map(rowToEvent);
}

/**
 * Lists jobs newest first with AND-ed filters; `cursor` is the last id of the previous page.
 * A cursor that is no id this store could have handed out throws INVALID_CURSOR: one that
 * newJobId could not have made must be the id of a stored job (a caller's own id).
 */
export function listJobs(db: BetterSqlite3.Database, st: Statements, filter: JobFilter, limit: number, cursor: string | null): JobPage {
  if (cursor !== null && listingCursorShape(cursor) === "other" && st.jobExists.get(cursor) === undefined) {
    throw new InvalidCursorError("it is not an id Caudex makes, and no stored job has it");
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    where.push(sql);
    params.push(value);
  };
  if (filter.status !== undefined) add("status = ?", filter.status);
  if (filter.queue !== undefined) add("queue = ?", filter.queue);
  if (filter.task !== undefined) add("task = ?", filter.task);
  if (filter.projectId !== undefined) add("project_id = ?", filter.projectId);
  if (filter.userId !== undefined) add("user_id = ?", filter.userId);
  if (filter.scheduleId !== undefined) add("schedule_id = ?", filter.scheduleId);
  if (cursor !== null) add("id < ?", cursor);
  const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const rows = preparedOnce(db, sql).all(...params, limit + 1) as JobRow[];
  const page = rows.slice(0, limit).map(rowToJob);
  return { jobs: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}

/**
 * Finished jobs per queue and minute, from the 10-second finish buckets (kept about two hours;
 * a finish stays counted when its job is retried or deleted later, as on Redis).
 */
export function finishesPerMinute(st: Statements, since: number): MinuteFinishes[] {
  const rows = st.finishesPerMinute.all(Math.floor(since / 60_000) * (60_000 / FINISH_BUCKET_MS)) as Array<{ queue: string; status: string; minute: number; n: number }>;
  return gatherFinishes(rows.map((r) => ({ queue: r.queue, minute: r.minute, kind: r.status === "COMPLETED" ? "completed" : "failed", count: r.n })));
}

/**
 * Counts by queue and status (counters), the waiting age of each queue's head, and finishes in
 * the last minute: the current 10-second bucket and the six before it, as Redis counts them.
 */
export function queueStats(db: BetterSqlite3.Database, st: Statements, now: number, paused: Set<string>): QueueStats[] {
  const byQueue = new Map<string, QueueStats>();
  const entry = (queue: string): QueueStats => {
    let stats = byQueue.get(queue);
    if (stats === undefined) {
      const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
      stats = { queue, counts, oldestWaitingMs: null, completedLastMinute: 0, failedLastMinute: 0, paused: false };
      byQueue.set(queue, stats);
    }
    return stats;
  };
  db.transaction(() => {
    for (const r of st.countsByQueue.all() as Array<{ queue: string; status: JobStatus; n: number }>)
      entry(r.queue).counts[r.status] = r.n;
    for (const r of st.oldestWaiting.all() as Array<{ queue: string; t: number | null }>)
      entry(r.queue).oldestWaitingMs = r.t === null ? null : Math.max(0, now - r.t);
    for (const r of st.finishedSince.all(Math.floor(now / FINISH_BUCKET_MS) - 6) as Array<{ queue: string; status: string; n: number }>) {
      if (r.status === "COMPLETED") entry(r.queue).completedLastMinute = r.n;
      else entry(r.queue).failedLastMinute = r.n;
    }
    for (const name of paused) entry(name).paused = true;
  })();
  return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"];

/** The store answers; its journal mode and the synchronous setting it really runs with. */
export function sqliteHealth(db: BetterSqlite3.Database, path: string): StoreHealth {
  try {
    db.prepare("SELECT 1").get();
    const journal = db.pragma("journal_mode", { simple: true }) as string;
    const warnings = path === ":memory:" ? ["the database is in memory: jobs are lost when the process exits"] : [];
    return { ok: true, warnings, details: { path, journalMode: journal, synchronous: SYNCHRONOUS_NAMES[db.pragma("synchronous", { simple: true }) as number] ?? "unknown" } };
  } catch (error) {
    return { ok: false, warnings: [], details: { error: String(error) } };
  }
}
