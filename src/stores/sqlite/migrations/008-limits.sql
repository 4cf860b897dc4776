-- 008-limits: per-key concurrency and rate limits, and fair claiming across their keys
-- (decision 0023).
-- Tables: limit_settings (new: a limit name's default, key '', or one key's override; who set
-- it); limit_usage (new: per (name, key) the jobs holding a lease, kept by a trigger on the jobs'
-- status so that every transition that starts or ends a lease takes or frees its slots in its
-- own transaction, and the rate bucket's tokens, written by claims); limit_lanes (new: per queue,
-- the lanes of limited jobs with their waiting count, kept by triggers, and when a claim last
-- served each, for round-robin; lane '' is the queue's main list, its count not kept). jobs gains
-- the job's limit keys (JSON, NULL for none), its lane (its first limit's name and key, NULL:
-- the main list) and its postponements. Jobs without limits fire no trigger's body.
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

ALTER TABLE jobs ADD COLUMN limit_keys TEXT;
ALTER TABLE jobs ADD COLUMN lane TEXT;
ALTER TABLE jobs ADD COLUMN postponements INTEGER NOT NULL DEFAULT 0;

-- The head of a lane, FIFO; and the head of the main list when a queue has lanes.
CREATE INDEX jobs_lane ON jobs (queue, lane, position) WHERE status = 'QUEUED' AND lane IS NOT NULL;
CREATE INDEX jobs_ready_main ON jobs (queue, position) WHERE status = 'QUEUED' AND lane IS NULL;

CREATE TABLE limit_settings (
  name            TEXT NOT NULL,
  key             TEXT NOT NULL,
  concurrency     INTEGER,
  rate_limit      INTEGER,
  rate_period_ms  INTEGER,
  rate_burst      INTEGER,
  source          TEXT NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (name, key)
) WITHOUT ROWID;

CREATE TABLE limit_usage (
  name       TEXT NOT NULL,
  key        TEXT NOT NULL,
  running    INTEGER NOT NULL DEFAULT 0,
  tokens     REAL,
  tokens_at  INTEGER,
  PRIMARY KEY (name, key)
) WITHOUT ROWID;

CREATE TABLE limit_lanes (
  queue    TEXT NOT NULL,
  lane     TEXT NOT NULL,
  waiting  INTEGER NOT NULL DEFAULT 0,
  served   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, lane)
) WITHOUT ROWID;
CREATE INDEX limit_lanes_served ON limit_lanes (queue, served);

-- A slot per limit while the job holds a lease (PROCESSING), whatever transition starts or ends it.
CREATE TRIGGER jobs_limit_slots AFTER UPDATE OF status ON jobs
WHEN NEW.limit_keys IS NOT NULL AND ((OLD.status = 'PROCESSING') <> (NEW.status = 'PROCESSING'))
BEGIN
  INSERT INTO limit_usage (name, key, running)
    SELECT json_extract(value, '$.name'), json_extract(value, '$.key'), CASE WHEN NEW.status = 'PROCESSING' THEN 1 ELSE -1 END
    FROM json_each(NEW.limit_keys) WHERE true
    ON CONFLICT (name, key) DO UPDATE SET running = running + excluded.running;
END;

CREATE TRIGGER jobs_lane_insert AFTER INSERT ON jobs
WHEN NEW.lane IS NOT NULL AND NEW.status = 'QUEUED'
BEGIN
  INSERT INTO limit_lanes (queue, lane, waiting) VALUES (NEW.queue, NEW.lane, 1)
    ON CONFLICT (queue, lane) DO UPDATE SET waiting = waiting + 1;
END;

CREATE TRIGGER jobs_lane_move AFTER UPDATE OF status ON jobs
WHEN NEW.lane IS NOT NULL AND ((OLD.status = 'QUEUED') <> (NEW.status = 'QUEUED'))
BEGIN
  INSERT INTO limit_lanes (queue, lane, waiting) VALUES (NEW.queue, NEW.lane, CASE WHEN NEW.status = 'QUEUED' THEN 1 ELSE -1 END)
    ON CONFLICT (queue, lane) DO UPDATE SET waiting = waiting + excluded.waiting;
END;

CREATE TRIGGER jobs_lane_delete AFTER DELETE ON jobs
WHEN OLD.lane IS NOT NULL AND OLD.status = 'QUEUED'
BEGIN
  UPDATE limit_lanes SET waiting = waiting - 1 WHERE queue = OLD.queue AND lane = OLD.lane;
END;
