// Read-side queries of the SQLite store: filtered, cursor-paged listings and queue stats.
// Each hits an index of migrations/001-init.sql; stats read one consistent snapshot.
import type BetterSqlite3 from "better-sqlite3";
import type { JobFilter, JobPage, MinuteFinishes, QueueStats } from "../../core/job.js";
import { gatherFinishes } from "../../core/finishes.js";
import { JOB_STATUSES, type JobStatus } from "../../core/job-states.js";
import { rowToJob, type JobRow } from "./rows.js";
import type { Statements } from "./statements.js";
import type { StoreHealth } from "../../core/store.js";

// Listing statements, prepared once per connection and filter shape (at most 64 shapes).
const listStatements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

function prepared(db: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let cache = listStatements.get(db);
  if (cache === undefined) listStatements.set(db, (cache = new Map<string, BetterSqlite3.Statement>()));
  let statement = cache.get(sql);
  if (statement === undefined) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/** Lists jobs newest first with AND-ed filters; `cursor` is the last id of the previous page. */
export function listJobs(db: BetterSqlite3.Database, filter: JobFilter, limit: number, cursor: string | null): JobPage {
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
  if (cursor !== null) add("id < ?", cursor);
  const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const rows = prepared(db, sql).all(...params, limit + 1) as JobRow[];
  const page = rows.slice(0, limit).map(rowToJob);
  return { jobs: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}

/**
 * Finished jobs per queue and minute, counted from the jobs still stored (an index range over
 * `completed_at`; a FAILED job retried since is no longer counted).
 */
export function finishesPerMinute(st: Statements, since: number): MinuteFinishes[] {
  const rows = st.finishesPerMinute.all(Math.floor(since / 60_000) * 60_000) as Array<{ queue: string; status: string; minute: number; n: number }>;
  return gatherFinishes(rows.map((r) => ({ queue: r.queue, minute: r.minute, kind: r.status === "COMPLETED" ? "completed" : "failed", count: r.n })));
}

/** Counts by queue and status, oldest waiting age, and finishes in the last minute. */
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
    for (const r of st.finishedSince.all(now - 60_000) as Array<{ queue: string; status: string; n: number }>) {
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
