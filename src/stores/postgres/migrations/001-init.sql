-- 001-init: the whole schema of the PostgreSQL store, in its own schema ({schema}, default caudex).
-- Tables: jobs (one row per job; partial indexes serve each hot query, and the claim reads its
-- head with FOR UPDATE SKIP LOCKED), events (the job lifecycle log: `txid` orders it by commit,
-- see postgres-events.ts), workers (the live registry), queues (per-queue flags), schedules,
-- job_dependencies (one row per edge, decision 0018), limit_settings / limit_usage /
-- limit_lanes (per-key limits and fair claiming, decision 0023; usage and lanes kept by the
-- triggers below, so that every transition that starts or ends a lease takes or frees its
-- slots in its own transaction), revoked_sessions. Sequence job_positions:
-- the FIFO position of a queued job (a sequence, not max()+1: concurrent enqueues never collide).
-- Keys and ids compare byte-wise (COLLATE "C"): job ids sort by time whatever the database's locale.
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

CREATE SEQUENCE {schema}.job_positions;

CREATE TABLE {schema}.jobs (
  id                    text COLLATE "C" PRIMARY KEY,
  task                  text COLLATE "C" NOT NULL,
  queue                 text COLLATE "C" NOT NULL,
  status                text NOT NULL,
  payload               text NOT NULL,
  attempt               integer NOT NULL DEFAULT 0,
  max_attempts          integer NOT NULL,
  timeout_ms            bigint NOT NULL,
  backoff               text NOT NULL,
  retry_on_timeout      boolean NOT NULL DEFAULT false,
  created_at            bigint NOT NULL,
  enqueued_at           bigint,
  started_at            bigint,
  completed_at          bigint,
  run_at                bigint,
  progress              text,
  result                text,
  error                 text,
  worker                text,
  worker_incarnation    text,
  lease_token           text,
  lease_expires_at      bigint,
  stalls                integer NOT NULL DEFAULT 0,
  retries               integer NOT NULL DEFAULT 0,
  idempotency_key       text UNIQUE,
  meta                  text NOT NULL,
  project_id            text,
  user_id               text,
  result_ttl_s          bigint NOT NULL,
  failure_ttl_s         bigint NOT NULL,
  expires_at            bigint,
  position              bigint,
  schedule_id           text,
  fire_at               bigint,
  depends_on            text COLLATE "C",
  on_dependency_failure text,
  deps_total            integer NOT NULL DEFAULT 0,
  deps_waiting          integer NOT NULL DEFAULT 0,
  deps_failed           integer NOT NULL DEFAULT 0,
  deps_canceled         integer NOT NULL DEFAULT 0,
  dependents            integer NOT NULL DEFAULT 0,
  parent_id             text,
  flow_id               text,
  limit_keys            text,
  lane                  text COLLATE "C",
  postponements         integer NOT NULL DEFAULT 0
);

-- Claim: the head of each queue, FIFO by position (the main list when a queue has lanes too).
CREATE INDEX jobs_ready ON {schema}.jobs (queue, position) WHERE status = 'QUEUED';
CREATE INDEX jobs_ready_main ON {schema}.jobs (queue, position) WHERE status = 'QUEUED' AND lane IS NULL;
CREATE INDEX jobs_lane ON {schema}.jobs (queue, lane, position) WHERE status = 'QUEUED' AND lane IS NOT NULL;
-- Promotion of due scheduled jobs.
CREATE INDEX jobs_scheduled ON {schema}.jobs (run_at) WHERE status = 'SCHEDULED';
-- Recovery of expired leases, and release of a dead worker's jobs.
CREATE INDEX jobs_leases ON {schema}.jobs (lease_expires_at) WHERE status = 'PROCESSING';
CREATE INDEX jobs_worker ON {schema}.jobs (worker) WHERE status = 'PROCESSING';
-- Retention.
CREATE INDEX jobs_expiry ON {schema}.jobs (expires_at) WHERE expires_at IS NOT NULL;
-- Listings, newest first, by each filter; stats (counts per queue and status) from the index alone.
CREATE INDEX jobs_status ON {schema}.jobs (status, id);
CREATE INDEX jobs_queue ON {schema}.jobs (queue, status, id);
CREATE INDEX jobs_task ON {schema}.jobs (task, id);
CREATE INDEX jobs_status_task ON {schema}.jobs (status, task, id);
CREATE INDEX jobs_project ON {schema}.jobs (project_id, id) WHERE project_id IS NOT NULL;
CREATE INDEX jobs_user ON {schema}.jobs (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_schedule ON {schema}.jobs (schedule_id, id) WHERE schedule_id IS NOT NULL;
-- Finishes per queue and minute (stats' last minute, the dashboard's hour).
CREATE INDEX jobs_finished ON {schema}.jobs (completed_at, queue, status) WHERE status IN ('COMPLETED', 'FAILED');
-- The jobs a job owns (cancel, retry and removal of a subtree), and the members of a flow.
CREATE INDEX jobs_parent ON {schema}.jobs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_flow ON {schema}.jobs (flow_id) WHERE flow_id IS NOT NULL;

-- Retention deletes and rewrites rows all day: vacuum this table sooner than the defaults do
-- (20% of the table) so that dead rows are reused instead of growing it (docs/postgres.md).
ALTER TABLE {schema}.jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 1, fillfactor = 80);

CREATE TABLE {schema}.events (
  seq      bigserial PRIMARY KEY,
  -- The writing transaction: readers deliver an event once every older writer has finished.
  txid     xid8 NOT NULL DEFAULT pg_current_xact_id(),
  at       bigint NOT NULL,
  type     text NOT NULL,
  job_id   text COLLATE "C" NOT NULL,
  queue    text COLLATE "C" NOT NULL,
  task     text COLLATE "C" NOT NULL,
  status   text NOT NULL,
  attempt  integer,
  worker   text,
  data     text
);
CREATE INDEX events_job ON {schema}.events (job_id, seq);
CREATE INDEX events_order ON {schema}.events (txid, seq);
CREATE INDEX events_prunable ON {schema}.events (at) WHERE type IN ('job:progress', 'job:removed');
ALTER TABLE {schema}.events SET (autovacuum_vacuum_scale_factor = 0.02);

CREATE TABLE {schema}.workers (
  name          text COLLATE "C" PRIMARY KEY,
  incarnation   text NOT NULL,
  host          text NOT NULL,
  pid           integer NOT NULL,
  queues        text NOT NULL,
  -- The task names it runs (JSON array).
  tasks         text NOT NULL DEFAULT '[]',
  concurrency   integer NOT NULL,
  state         text NOT NULL,
  started_at    bigint NOT NULL,
  heartbeat_at  bigint NOT NULL,
  current_jobs  text NOT NULL,
  processed     bigint NOT NULL,
  failed        bigint NOT NULL
);

CREATE TABLE {schema}.queues (
  name    text COLLATE "C" PRIMARY KEY,
  paused  boolean NOT NULL DEFAULT false
);

CREATE TABLE {schema}.schedules (
  id            text COLLATE "C" PRIMARY KEY,
  definition    text NOT NULL,
  timing        text NOT NULL,
  paused        boolean NOT NULL DEFAULT false,
  next_fire_at  bigint,
  last_fire_at  bigint,
  last_job_id   text,
  anchor_at     bigint NOT NULL,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL
);
CREATE INDEX schedules_due ON {schema}.schedules (next_fire_at, id) WHERE NOT paused;

-- Keyed by the dependency first: the settlement of a job reads its uncounted dependents.
CREATE TABLE {schema}.job_dependencies (
  depends_on text COLLATE "C" NOT NULL,
  job_id     text COLLATE "C" NOT NULL,
  counted    boolean NOT NULL DEFAULT false,
  PRIMARY KEY (depends_on, job_id)
);
CREATE INDEX job_dependencies_job ON {schema}.job_dependencies (job_id);

CREATE TABLE {schema}.limit_settings (
  name            text COLLATE "C" NOT NULL,
  key             text COLLATE "C" NOT NULL,
  concurrency     integer,
  rate_limit      integer,
  rate_period_ms  bigint,
  rate_burst      integer,
  source          text NOT NULL,
  updated_at      bigint NOT NULL,
  PRIMARY KEY (name, key)
);

CREATE TABLE {schema}.limit_usage (
  name       text COLLATE "C" NOT NULL,
  key        text COLLATE "C" NOT NULL,
  running    integer NOT NULL DEFAULT 0,
  tokens     double precision,
  tokens_at  bigint,
  PRIMARY KEY (name, key)
);

CREATE TABLE {schema}.limit_lanes (
  queue    text COLLATE "C" NOT NULL,
  lane     text COLLATE "C" NOT NULL,
  waiting  integer NOT NULL DEFAULT 0,
  served   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, lane)
);
CREATE INDEX limit_lanes_served ON {schema}.limit_lanes (queue, served);

-- A slot per limit while the job holds a lease (PROCESSING), whatever transition starts or ends it;
-- the waiting count of a lane while its job is QUEUED. Jobs without limits never call these.
CREATE FUNCTION {schema}.jobs_limit_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status = 'PROCESSING') <> (NEW.status = 'PROCESSING') THEN
    INSERT INTO {schema}.limit_usage AS u (name, key, running)
      SELECT e->>'name', e->>'key', CASE WHEN NEW.status = 'PROCESSING' THEN 1 ELSE -1 END
      FROM jsonb_array_elements(NEW.limit_keys::jsonb) e
      ON CONFLICT (name, key) DO UPDATE SET running = u.running + excluded.running;
  END IF;
  IF NEW.lane IS NOT NULL AND (OLD.status = 'QUEUED') <> (NEW.status = 'QUEUED') THEN
    INSERT INTO {schema}.limit_lanes AS l (queue, lane, waiting) VALUES (NEW.queue, NEW.lane, CASE WHEN NEW.status = 'QUEUED' THEN 1 ELSE -1 END)
      ON CONFLICT (queue, lane) DO UPDATE SET waiting = l.waiting + excluded.waiting;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION {schema}.jobs_lane_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {schema}.limit_lanes AS l (queue, lane, waiting) VALUES (NEW.queue, NEW.lane, 1)
    ON CONFLICT (queue, lane) DO UPDATE SET waiting = l.waiting + 1;
  RETURN NULL;
END $$;

CREATE FUNCTION {schema}.jobs_lane_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {schema}.limit_lanes SET waiting = waiting - 1 WHERE queue = OLD.queue AND lane = OLD.lane;
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_limit_slots AFTER UPDATE OF status ON {schema}.jobs
  FOR EACH ROW WHEN (NEW.limit_keys IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION {schema}.jobs_limit_slots();
CREATE TRIGGER jobs_lane_insert AFTER INSERT ON {schema}.jobs
  FOR EACH ROW WHEN (NEW.lane IS NOT NULL AND NEW.status = 'QUEUED')
  EXECUTE FUNCTION {schema}.jobs_lane_insert();
CREATE TRIGGER jobs_lane_delete AFTER DELETE ON {schema}.jobs
  FOR EACH ROW WHEN (OLD.lane IS NOT NULL AND OLD.status = 'QUEUED')
  EXECUTE FUNCTION {schema}.jobs_lane_delete();

CREATE TABLE {schema}.revoked_sessions (
  id          text COLLATE "C" PRIMARY KEY,
  expires_at  bigint NOT NULL
);
CREATE INDEX revoked_sessions_expiry ON {schema}.revoked_sessions (expires_at);
