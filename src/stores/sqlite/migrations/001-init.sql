-- 001-init: the initial schema.
-- Tables: jobs (one row per job; partial indexes serve each hot query), events (the job
-- lifecycle log, for timelines and resumable streams), workers (the live registry),
-- queues (per-queue flags such as paused).
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

CREATE TABLE jobs (
  id                 TEXT PRIMARY KEY,
  task               TEXT NOT NULL,
  queue              TEXT NOT NULL,
  status             TEXT NOT NULL,
  payload            TEXT NOT NULL,
  attempt            INTEGER NOT NULL DEFAULT 0,
  max_attempts       INTEGER NOT NULL,
  timeout_ms         INTEGER NOT NULL,
  backoff            TEXT NOT NULL,
  retry_on_timeout   INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,
  enqueued_at        INTEGER,
  started_at         INTEGER,
  completed_at       INTEGER,
  run_at             INTEGER,
  progress           TEXT,
  result             TEXT,
  error              TEXT,
  worker             TEXT,
  worker_incarnation TEXT,
  lease_token        TEXT,
  lease_expires_at   INTEGER,
  stalls             INTEGER NOT NULL DEFAULT 0,
  idempotency_key    TEXT UNIQUE,
  meta               TEXT NOT NULL,
  project_id         TEXT,
  user_id            TEXT,
  result_ttl_s       INTEGER NOT NULL,
  failure_ttl_s      INTEGER NOT NULL,
  expires_at         INTEGER,
  position           INTEGER
);

-- Claim: the head of each queue, FIFO by position.
CREATE INDEX jobs_ready ON jobs (queue, position) WHERE status = 'QUEUED';
-- Promotion of due scheduled jobs.
CREATE INDEX jobs_scheduled ON jobs (run_at) WHERE status = 'SCHEDULED';
-- Recovery of expired leases, and release of a dead worker's jobs.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'PROCESSING';
CREATE INDEX jobs_worker ON jobs (worker) WHERE status = 'PROCESSING';
-- Retention.
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;
-- Listings, newest first, by each filter; and stats.
CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX jobs_queue ON jobs (queue, status, id);
CREATE INDEX jobs_task ON jobs (task, id);
CREATE INDEX jobs_project ON jobs (project_id, id) WHERE project_id IS NOT NULL;
CREATE INDEX jobs_user ON jobs (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (status, completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  type     TEXT NOT NULL,
  job_id   TEXT NOT NULL,
  queue    TEXT NOT NULL,
  task     TEXT NOT NULL,
  status   TEXT NOT NULL,
  attempt  INTEGER,
  worker   TEXT,
  data     TEXT
);
CREATE INDEX events_job ON events (job_id, seq);
CREATE INDEX events_at ON events (at);

CREATE TABLE workers (
  name          TEXT PRIMARY KEY,
  incarnation   TEXT NOT NULL,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  queues        TEXT NOT NULL,
  concurrency   INTEGER NOT NULL,
  state         TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  current_jobs  TEXT NOT NULL,
  processed     INTEGER NOT NULL,
  failed        INTEGER NOT NULL
);

CREATE TABLE queues (
  name    TEXT PRIMARY KEY,
  paused  INTEGER NOT NULL DEFAULT 0
);
