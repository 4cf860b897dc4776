// The SQL of the SQLite store: the fixed statements, prepared once per connection, and the cache
// of statements whose text depends on the call. Each statement is shaped to hit one of the
// partial indexes of migrations/ (001-init.sql for jobs, 004-schedules.sql for schedules).
import type { Database, Statement } from "better-sqlite3";
import { MAX_JOB_EVENTS } from "../../core/store.js";

/** The text of every fixed statement, by name (tests read query plans from it). */
export const SQL = {
  insertJob: `INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff,
      retry_on_timeout, created_at, enqueued_at, run_at, idempotency_key, meta, project_id, user_id,
      result_ttl_s, failure_ttl_s, position, schedule_id, fire_at)
    VALUES (@id, @task, @queue, @status, @payload, @max_attempts, @timeout_ms, @backoff,
      @retry_on_timeout, @created_at, @enqueued_at, @run_at, @idempotency_key, @meta, @project_id, @user_id,
      @result_ttl_s, @failure_ttl_s, @position, @schedule_id, @fire_at)`,
  jobById: "SELECT * FROM jobs WHERE id = ?",
  jobExists: "SELECT 1 FROM jobs WHERE id = ?",
  jobByKey: "SELECT * FROM jobs WHERE idempotency_key = ?",
  tailPosition: "SELECT max(position) AS p FROM jobs WHERE status = 'QUEUED' AND queue = ?",
  headPosition: "SELECT min(position) AS p FROM jobs WHERE status = 'QUEUED' AND queue = ?",
  headOfQueue: "SELECT id FROM jobs WHERE status = 'QUEUED' AND queue = ? ORDER BY position LIMIT ?",
  anyDue: "SELECT 1 FROM jobs WHERE status = 'SCHEDULED' AND run_at <= ? LIMIT 1",
  dueJobs: "SELECT id, queue FROM jobs WHERE status = 'SCHEDULED' AND run_at <= ? ORDER BY run_at LIMIT ?",
  toScheduled: "UPDATE jobs SET status = 'SCHEDULED', enqueued_at = @now WHERE id = @id RETURNING *",
  toQueued: `UPDATE jobs SET status = 'QUEUED', position = @position, enqueued_at = @now, run_at = NULL
    WHERE id = @id RETURNING *`,
  claimOne: `UPDATE jobs SET status = 'PROCESSING', attempt = attempt + 1, started_at = @now, worker = @worker,
      worker_incarnation = @incarnation, lease_token = @token, lease_expires_at = @expires, position = NULL
    WHERE id = @id AND status = 'QUEUED' RETURNING *`,
  extendLease: `UPDATE jobs SET lease_expires_at = @expires
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING'`,
  complete: `UPDATE jobs SET status = 'COMPLETED', result = @result, completed_at = @now, lease_token = NULL,
      lease_expires_at = NULL, expires_at = @now + result_ttl_s * 1000
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING *`,
  failFinal: `UPDATE jobs SET status = 'FAILED', error = @error, completed_at = @now, lease_token = NULL,
      lease_expires_at = NULL, expires_at = @now + failure_ttl_s * 1000
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING *`,
  failRetryLater: `UPDATE jobs SET status = 'SCHEDULED', error = @error, run_at = @run_at, lease_token = NULL,
      lease_expires_at = NULL
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING *`,
  failRetryNow: `UPDATE jobs SET status = 'QUEUED', error = @error, enqueued_at = @now, position = @position,
      lease_token = NULL, lease_expires_at = NULL
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING *`,
  progress: `UPDATE jobs SET progress = @progress
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING id, queue, task, attempt, worker`,
  release: `UPDATE jobs SET status = 'QUEUED', attempt = max(attempt - 1, 0), position = @position,
      lease_token = NULL, lease_expires_at = NULL, enqueued_at = @now
    WHERE id = @id AND lease_token = @token AND status = 'PROCESSING' RETURNING *`,
  expiredLeases: `SELECT * FROM jobs WHERE status = 'PROCESSING' AND lease_expires_at <= ?
    ORDER BY lease_expires_at LIMIT ?`,
  jobsOfWorker: "SELECT * FROM jobs WHERE status = 'PROCESSING' AND worker = ? AND worker_incarnation IS NOT ?",
  stallRequeue: `UPDATE jobs SET status = 'QUEUED', stalls = stalls + 1, position = @position, enqueued_at = @now,
      lease_token = NULL, lease_expires_at = NULL WHERE id = @id RETURNING *`,
  stallFail: `UPDATE jobs SET status = 'FAILED', stalls = stalls + 1, error = @error, completed_at = @now,
      lease_token = NULL, lease_expires_at = NULL, expires_at = @now + failure_ttl_s * 1000 WHERE id = @id RETURNING *`,
  cancel: `UPDATE jobs SET status = 'CANCELED', completed_at = @now, lease_token = NULL, lease_expires_at = NULL,
      position = NULL, expires_at = @now + failure_ttl_s * 1000 WHERE id = @id RETURNING *`,
  // One statement for retry and retryAllFailed: the count of retries goes up in the same step.
  retry: `UPDATE jobs SET status = 'QUEUED', attempt = 0, retries = retries + 1, stalls = 0, error = NULL, result = NULL, progress = NULL,
      started_at = NULL, completed_at = NULL, expires_at = NULL, run_at = NULL, enqueued_at = @now,
      position = @position WHERE id = @id RETURNING *`,
  failedIds: "SELECT id FROM jobs WHERE status = 'FAILED' ORDER BY id LIMIT ?",
  failedIdsOfQueue: "SELECT id FROM jobs WHERE status = 'FAILED' AND queue = ? ORDER BY id LIMIT ?",
  deleteJob: "DELETE FROM jobs WHERE id = ?",
  deleteEventsOfJob: "DELETE FROM events WHERE job_id = ?",
  expiredJobs: "SELECT id FROM jobs WHERE expires_at <= ? LIMIT ?",
  purgeable: "SELECT id FROM jobs WHERE status = @status AND completed_at < @before LIMIT @limit",
  purgeableOfQueue: "SELECT id FROM jobs WHERE status = @status AND queue = @queue AND completed_at < @before LIMIT @limit",
  pruneProgressEvents: "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE type IN ('job:progress', 'job:removed') AND at < ? LIMIT ?)",
  insertEvent: `INSERT INTO events (at, type, job_id, queue, task, status, attempt, worker, data)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  eventsAfter: "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
  lastEventSeq: "SELECT coalesce(max(seq), 0) AS seq FROM events",
  eventsOfJob: `SELECT * FROM events WHERE job_id = ? ORDER BY seq LIMIT ${MAX_JOB_EVENTS}`,
  countsByQueue: "SELECT queue, status, count(*) AS n FROM jobs GROUP BY queue, status",
  oldestWaiting: "SELECT queue, min(enqueued_at) AS t FROM jobs WHERE status = 'QUEUED' GROUP BY queue",
  finishedSince: `SELECT queue, status, count(*) AS n FROM jobs
    WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= ? GROUP BY queue, status`,
  finishesPerMinute: `SELECT queue, status, completed_at / 60000 AS minute, count(*) AS n FROM jobs
    WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= ? GROUP BY queue, status, minute`,
  pausedQueues: "SELECT name FROM queues WHERE paused = 1",
  setPaused: "INSERT INTO queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused",
  workerByName: "SELECT * FROM workers WHERE name = ?",
  upsertWorker: `INSERT INTO workers (name, incarnation, host, pid, queues, concurrency, state, started_at,
      heartbeat_at, current_jobs, processed, failed)
    VALUES (@name, @incarnation, @host, @pid, @queues, @concurrency, @state, @started_at, @heartbeat_at,
      @current_jobs, @processed, @failed)
    ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, host = excluded.host, pid = excluded.pid,
      queues = excluded.queues, concurrency = excluded.concurrency, state = excluded.state,
      started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, current_jobs = excluded.current_jobs,
      processed = excluded.processed, failed = excluded.failed`,
  deleteWorker: "DELETE FROM workers WHERE name = ? AND incarnation = ?",
  liveWorkers: "SELECT * FROM workers WHERE heartbeat_at >= ? ORDER BY name",
  forgetWorkers: "DELETE FROM workers WHERE heartbeat_at < ?",
  dataVersion: "PRAGMA data_version",
  jobStatus: "SELECT status FROM jobs WHERE id = ?",
  scheduleById: "SELECT * FROM schedules WHERE id = ?",
  scheduleExists: "SELECT 1 FROM schedules WHERE id = ?",
  insertSchedule: `INSERT INTO schedules (id, definition, timing, paused, next_fire_at, anchor_at, created_at, updated_at)
    VALUES (@id, @definition, @timing, 0, @next_fire_at, @now, @now, @now) RETURNING *`,
  // A new timing starts again from now; a paused schedule stays without a next fire until resumed.
  retimeSchedule: `UPDATE schedules SET definition = @definition, timing = @timing, anchor_at = @now, updated_at = @now,
      next_fire_at = CASE WHEN paused = 1 THEN NULL ELSE @next_fire_at END WHERE id = @id RETURNING *`,
  redefineSchedule: "UPDATE schedules SET definition = @definition, updated_at = @now WHERE id = @id RETURNING *",
  pauseSchedule: "UPDATE schedules SET paused = 1, next_fire_at = NULL WHERE id = ? RETURNING *",
  resumeSchedule: `UPDATE schedules SET paused = 0, next_fire_at = @next_fire_at, anchor_at = @now
    WHERE id = @id RETURNING *`,
  advanceSchedule: `UPDATE schedules SET last_fire_at = @last_fire_at, next_fire_at = @next_fire_at,
      last_job_id = coalesce(@last_job_id, last_job_id) WHERE id = @id`,
  setLastJob: "UPDATE schedules SET last_job_id = ? WHERE id = ?",
  deleteSchedule: "DELETE FROM schedules WHERE id = ?",
  // `paused = 0` names the partial index schedules_due: a range scan that stops at the first schedule not yet due.
  dueSchedules: "SELECT * FROM schedules WHERE paused = 0 AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ?",
  // The overdue count reads the schedules_due index only (paused = 0 is its condition).
  scheduleCounts: `SELECT (SELECT count(*) FROM schedules) AS total, (SELECT count(*) FROM schedules WHERE paused = 1) AS paused,
    (SELECT count(*) FROM schedules WHERE paused = 0 AND next_fire_at <= @due_before) AS overdue`,
  schedulesFirstPage: "SELECT * FROM schedules ORDER BY id LIMIT ?",
  schedulesAfter: "SELECT * FROM schedules WHERE id > ? ORDER BY id LIMIT ?",
} as const;

/** Names of the prepared statements. */
export type StatementName = keyof typeof SQL;
/** The prepared statements of one connection. */
export type Statements = Record<StatementName, Statement<unknown[], unknown>>;

/** Prepares every fixed statement of the store. */
export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}

// Statements whose text depends on the call (a listing's filters: at most 128 shapes; a claim's
// number of queues), prepared once per connection and text.
const shapedStatements = new WeakMap<Database, Map<string, Statement>>();

/** The statement for `sql` on `db`, prepared on first use. */
export function preparedOnce(db: Database, sql: string): Statement {
  let cache = shapedStatements.get(db);
  if (cache === undefined) shapedStatements.set(db, (cache = new Map<string, Statement>()));
  let statement = cache.get(sql);
  if (statement === undefined) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}
