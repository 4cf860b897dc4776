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
  // A job with dependencies, an owner, a flow (005-dependencies.sql) or limits (008-limits.sql); it may start FAILED or
  // CANCELED when a dependency already did (then finished, with its retention running).
  insertJobWithDependencies: `INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff,
      retry_on_timeout, created_at, enqueued_at, run_at, idempotency_key, meta, project_id, user_id,
      result_ttl_s, failure_ttl_s, position, schedule_id, fire_at, depends_on, on_dependency_failure,
      deps_total, deps_waiting, deps_failed, deps_canceled, parent_id, flow_id, limit_keys, lane, error, completed_at, expires_at)
    VALUES (@id, @task, @queue, @status, @payload, @max_attempts, @timeout_ms, @backoff,
      @retry_on_timeout, @created_at, @enqueued_at, @run_at, @idempotency_key, @meta, @project_id, @user_id,
      @result_ttl_s, @failure_ttl_s, @position, @schedule_id, @fire_at, @depends_on, @on_dependency_failure,
      @deps_total, @deps_waiting, @deps_failed, @deps_canceled, @parent_id, @flow_id, @limit_keys, @lane, @error, @completed_at,
      CASE WHEN @completed_at IS NULL THEN NULL ELSE @completed_at + @failure_ttl_s * 1000 END)`,
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
  // RetryAfter: the attempt is handed back uncounted, and counted as a postponement.
  failPostpone: `UPDATE jobs SET status = 'SCHEDULED', error = @error, run_at = @run_at, lease_token = NULL,
      lease_expires_at = NULL, attempt = max(attempt - 1, 0), postponements = postponements + 1
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
  // (flow_id and dependents: the dependency rules of retention, sqlite-dependencies.ts.)
  expiredJobs: "SELECT id, flow_id, dependents FROM jobs WHERE expires_at <= ? LIMIT ?",
  purgeable: "SELECT id, flow_id, dependents FROM jobs WHERE status = @status AND completed_at < @before LIMIT @limit",
  purgeableOfQueue: "SELECT id, flow_id, dependents FROM jobs WHERE status = @status AND queue = @queue AND completed_at < @before LIMIT @limit",
  // Every entry of events_prunable below the horizon is one to delete: the reads stop at the limit.
  pruneProgressEvents: `DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY events_prunable
    WHERE type IN ('job:progress', 'job:removed') AND at < ? LIMIT ?)`,
  insertEvent: `INSERT INTO events (at, type, job_id, queue, task, status, attempt, worker, data)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  eventsAfter: "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
  lastEventSeq: "SELECT coalesce(max(seq), 0) AS seq FROM events",
  eventsOfJob: `SELECT * FROM events WHERE job_id = ? ORDER BY seq LIMIT ${MAX_JOB_EVENTS}`,
  // Stats read the counters of 006-status-counts.sql, never the jobs: O(queues), whatever the backlog.
  countsByQueue: "SELECT queue, status, n FROM queue_status_counts WHERE n > 0",
  // The head of each queue that has waiting jobs (jobs_ready), as Redis reads the head of its list.
  oldestWaiting: `SELECT c.queue, (SELECT enqueued_at FROM jobs WHERE status = 'QUEUED' AND queue = c.queue ORDER BY position LIMIT 1) AS t
    FROM queue_status_counts c WHERE c.status = 'QUEUED' AND c.n > 0`,
  // Finishes from job_finishes (10-second buckets, first bucket as the parameter).
  finishedSince: "SELECT queue, status, sum(n) AS n FROM job_finishes WHERE bucket >= ? GROUP BY queue, status",
  finishesPerMinute: "SELECT queue, status, bucket / 6 AS minute, sum(n) AS n FROM job_finishes WHERE bucket >= ? GROUP BY queue, status, minute",
  pausedQueues: "SELECT name FROM queues WHERE paused = 1",
  setPaused: "INSERT INTO queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused",
  workerByName: "SELECT * FROM workers WHERE name = ?",
  upsertWorker: `INSERT INTO workers (name, incarnation, host, pid, queues, tasks, concurrency, state, started_at,
      heartbeat_at, current_jobs, processed, failed)
    VALUES (@name, @incarnation, @host, @pid, @queues, @tasks, @concurrency, @state, @started_at, @heartbeat_at,
      @current_jobs, @processed, @failed)
    ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, host = excluded.host, pid = excluded.pid,
      queues = excluded.queues, tasks = excluded.tasks, concurrency = excluded.concurrency, state = excluded.state,
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
  // Maintenance leases (006-status-counts.sql): a read first, so that the processes that do not
  // hold a step's lease skip it without taking the write lock; then a conditional take that
  // succeeds (one row changed) only for the holder or once the lease has expired.
  maintenanceLease: "SELECT holder, expires_at FROM maintenance_leases WHERE name = ?",
  takeMaintenanceLease: `INSERT INTO maintenance_leases (name, holder, expires_at) VALUES (@name, @holder, @expires_at)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE maintenance_leases.holder = excluded.holder OR maintenance_leases.expires_at <= @now`,
  releaseMaintenanceLeases: "UPDATE maintenance_leases SET expires_at = 0 WHERE holder = ?",
  // Old finish buckets, at most @limit buckets' worth per call (a range of the primary key).
  pruneFinishCounts: `DELETE FROM job_finishes
    WHERE bucket < min(@before_bucket, coalesce((SELECT min(bucket) FROM job_finishes), 0) + @limit)`,
  // Counters at 0 (a queue no job is in any more); the table has a row per queue and status seen.
  pruneEmptyCounts: "DELETE FROM queue_status_counts WHERE n = 0",
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
