-- 004-schedules: schedules, and the link from a job to the schedule and fire time that made it.
-- Tables: schedules (new: one row per schedule; the definition as the core's canonical JSON,
-- its timing text for the fire's compare-and-set, the fire state as columns); jobs gains
-- `schedule_id` and `fire_at`, NULL for every existing job and for jobs no schedule made
-- (nullable columns without a default rewrite no rows).
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

ALTER TABLE jobs ADD COLUMN schedule_id TEXT;
ALTER TABLE jobs ADD COLUMN fire_at INTEGER;
-- Listing one schedule's jobs, newest first; jobs of no schedule stay out of the index.
CREATE INDEX jobs_schedule ON jobs (schedule_id, id) WHERE schedule_id IS NOT NULL;

-- A rowid table, not WITHOUT ROWID: a definition carries the job's payload and may be large.
CREATE TABLE schedules (
  id            TEXT PRIMARY KEY,
  definition    TEXT NOT NULL,
  timing        TEXT NOT NULL,
  paused        INTEGER NOT NULL DEFAULT 0,
  next_fire_at  INTEGER,
  last_fire_at  INTEGER,
  last_job_id   TEXT,
  anchor_at     INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
-- Every process's maintenance tick asks for due schedules each second: a range scan of this
-- index from its start, soonest first, that stops at the first schedule not yet due. Paused
-- schedules (next_fire_at NULL) are not in it.
CREATE INDEX schedules_due ON schedules (next_fire_at, id) WHERE paused = 0;
