// The reads of the PostgreSQL store: one job, its timeline, filtered cursor-paged listings, queue
// stats, finishes per minute and health. Listings and stats are index scans of 001-init.sql;
// counts are read from the jobs' indexes (no counter rows that every transition would update and
// lock: on PostgreSQL such a hot row would serialize every settlement of a queue).
import type { JobEvent } from "../../core/events.js";
import type { Job, JobFilter, JobPage, Json, MinuteFinishes, QueueStats } from "../../core/job.js";
import { InvalidCursorError } from "../../core/errors.js";
import { gatherFinishes } from "../../core/finishes.js";
import { listingCursorShape } from "../../core/listing-cursor.js";
import { JOB_STATUSES, type JobStatus } from "../../core/job-states.js";
import { MAX_JOB_EVENTS, type StoreHealth } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import { rowToEvent, rowToJob, type EventRow, type JobRow } from "./row-decoders.js";

const FINISHED_WINDOW_BUCKET_MS = 10_000;

const SQL = {
  jobById: "SELECT * FROM {s}.jobs WHERE id = $1",
  jobExists: "SELECT 1 FROM {s}.jobs WHERE id = $1",
  eventsOfJob: `SELECT * FROM {s}.events WHERE job_id = $1 ORDER BY seq LIMIT ${MAX_JOB_EVENTS}`,
  counts: "SELECT queue, status, count(*)::int AS n FROM {s}.jobs GROUP BY queue, status",
  oldestWaiting: `SELECT q.queue, (SELECT enqueued_at FROM {s}.jobs WHERE status = 'QUEUED' AND queue = q.queue ORDER BY position LIMIT 1) AS t
    FROM (SELECT DISTINCT queue FROM {s}.jobs WHERE status = 'QUEUED') q`,
  finishedSince: `SELECT queue, status, count(*)::int AS n FROM {s}.jobs
    WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= $1 GROUP BY queue, status`,
  finishesPerMinute: `SELECT queue, status, (completed_at / 60000)::bigint AS minute, count(*)::int AS n FROM {s}.jobs
    WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= $1 GROUP BY queue, status, minute`,
  pausedQueues: "SELECT name FROM {s}.queues WHERE paused",
  settings: `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
    current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
    current_setting('full_page_writes') AS full_page_writes, current_setting('default_transaction_isolation') AS isolation,
    current_setting('max_connections')::int AS max_connections, pg_is_in_recovery() AS in_recovery, current_database() AS database`,
} as const;

/** The job with this id, or null. */
export async function getJob(tx: Tx, jobId: string): Promise<Job | null> {
  const row = await tx.row<JobRow>(SQL.jobById, [jobId]);
  return row === undefined ? null : rowToJob(row);
}

/** A job's timeline, oldest first (at most MAX_JOB_EVENTS). */
export async function jobEvents(tx: Tx, jobId: string): Promise<JobEvent[]> {
  return (await tx.rows<EventRow>(SQL.eventsOfJob, [jobId])).map(rowToEvent);
}

/** Lists jobs newest first with AND-ed filters; `cursor` is the last id of the previous page. */
export async function listJobs(tx: Tx, filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
  if (cursor !== null && listingCursorShape(cursor) === "other" && (await tx.row(SQL.jobExists, [cursor])) === undefined) {
    throw new InvalidCursorError("it is not an id Caudex makes, and no stored job has it");
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, value: unknown): void => {
    params.push(value);
    where.push(`${column} $${params.length}`);
  };
  if (filter.status !== undefined) add("status =", filter.status);
  if (filter.queue !== undefined) add("queue =", filter.queue);
  if (filter.task !== undefined) add("task =", filter.task);
  if (filter.projectId !== undefined) add("project_id =", filter.projectId);
  if (filter.userId !== undefined) add("user_id =", filter.userId);
  if (filter.scheduleId !== undefined) add("schedule_id =", filter.scheduleId);
  if (cursor !== null) add("id <", cursor);
  params.push(limit + 1);
  const sql = `SELECT * FROM {s}.jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT $${params.length}`;
  const rows = await tx.rows<JobRow>(sql, params);
  const page = rows.slice(0, limit).map(rowToJob);
  return { jobs: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** Finished jobs per queue and minute, counted from the finished jobs still stored. */
export async function finishesPerMinute(tx: Tx, since: number): Promise<MinuteFinishes[]> {
  const rows = await tx.rows<{ queue: string; status: string; minute: number; n: number }>(SQL.finishesPerMinute, [Math.floor(since / 60_000) * 60_000]);
  return gatherFinishes(rows.map((r) => ({ queue: r.queue, minute: r.minute, kind: r.status === "COMPLETED" ? "completed" : "failed", count: r.n })));
}

/** Counts by queue and status, the waiting age of each queue's head, finishes in the last minute (the six 10-second buckets before the current one, as the other stores count). */
export async function queueStats(tx: Tx, now: number): Promise<QueueStats[]> {
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
  for (const r of await tx.rows<{ queue: string; status: JobStatus; n: number }>(SQL.counts)) entry(r.queue).counts[r.status] = r.n;
  for (const r of await tx.rows<{ queue: string; t: number | null }>(SQL.oldestWaiting)) entry(r.queue).oldestWaitingMs = r.t === null ? null : Math.max(0, now - r.t);
  const since = (Math.floor(now / FINISHED_WINDOW_BUCKET_MS) - 6) * FINISHED_WINDOW_BUCKET_MS;
  for (const r of await tx.rows<{ queue: string; status: string; n: number }>(SQL.finishedSince, [since])) {
    if (r.status === "COMPLETED") entry(r.queue).completedLastMinute = r.n;
    else entry(r.queue).failedLastMinute = r.n;
  }
  for (const r of await tx.rows<{ name: string }>(SQL.pausedQueues)) entry(r.name).paused = true;
  return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}

interface SettingsRow {
  version: string;
  version_num: number;
  fsync: string;
  synchronous_commit: string;
  full_page_writes: string;
  isolation: string;
  max_connections: number;
  in_recovery: boolean;
  database: string;
}

/** The server's version and the settings that decide whether a committed job survives a crash; warnings for those that risk it. */
export async function postgresHealth(tx: Tx, details: Record<string, Json>): Promise<StoreHealth> {
  const s = (await tx.row<SettingsRow>(SQL.settings)) as SettingsRow;
  const warnings: string[] = [];
  if (s.fsync === "off") warnings.push("fsync is off: a crash of the machine can lose or corrupt committed jobs");
  if (s.synchronous_commit === "off") warnings.push("synchronous_commit is off: a crash can lose jobs committed in the last moments (up to 3 × wal_writer_delay)");
  if (s.full_page_writes === "off") warnings.push("full_page_writes is off: a crash of the machine can corrupt the database");
  if (s.version_num < 130000) warnings.push(`PostgreSQL ${s.version} is older than 13, the oldest version the store supports`);
  return {
    ok: !s.in_recovery,
    warnings: s.in_recovery ? [...warnings, "the server is a standby (in recovery): it refuses writes"] : warnings,
    details: {
      version: s.version,
      database: s.database,
      fsync: s.fsync,
      synchronousCommit: s.synchronous_commit,
      fullPageWrites: s.full_page_writes,
      defaultTransactionIsolation: s.isolation,
      maxConnections: s.max_connections,
      ...details,
    },
  };
}
