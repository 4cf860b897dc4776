-- 006-status-counts: counters instead of scans for stats, health, metrics and the dashboard, and
-- bounded, coordinated maintenance.
-- Tables: queue_status_counts (new: jobs per queue and status, kept by triggers on jobs for every
-- insert, delete and change of status or queue, whatever the status is called, and backfilled
-- here from the jobs already stored); job_finishes (new: jobs that became COMPLETED or FAILED per
-- queue and 10-second bucket of completed_at, kept by triggers, backfilled here, old buckets
-- deleted by prune); maintenance_leases (new: which process runs a maintenance step, taken by a
-- conditional update). Indexes: events_prunable (the events prune deletes, by time: its reads
-- stop at its limit), jobs_status_task (listings filtered by status and task, newest first).
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

-- Rows whose count went down to 0 stay until prune deletes them; readers skip them.
CREATE TABLE queue_status_counts (
  queue   TEXT NOT NULL,
  status  TEXT NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (queue, status)
) WITHOUT ROWID;

INSERT INTO queue_status_counts (queue, status, n)
  SELECT queue, status, count(*) FROM jobs GROUP BY queue, status;


-- bucket = completed_at / 10000: "in the last minute" reads 7 buckets per queue, and the hour of
-- the throughput chart 360, however many jobs finished. A finish stays counted when its job is
-- retried, pruned or removed later (as on Redis).
CREATE TABLE job_finishes (
  bucket  INTEGER NOT NULL,
  queue   TEXT NOT NULL,
  status  TEXT NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (bucket, queue, status)
) WITHOUT ROWID;

INSERT INTO job_finishes (bucket, queue, status, n)
  SELECT completed_at / 10000, queue, status, count(*) FROM jobs
  WHERE status IN ('COMPLETED', 'FAILED') AND completed_at IS NOT NULL
  GROUP BY completed_at / 10000, queue, status;

-- One trigger per kind of change counts both: a trigger program costs each row it fires on, so
-- the finish is a conditional insert inside it rather than a trigger of its own. UPDATE OF fires
-- whenever the column is assigned, even to its own value: WHEN keeps those free. (A job that
-- moves to another queue once finished keeps its finish where it happened.)
CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs
BEGIN
  INSERT INTO queue_status_counts (queue, status, n) VALUES (NEW.queue, NEW.status, 1)
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
  INSERT INTO job_finishes (bucket, queue, status, n) SELECT NEW.completed_at / 10000, NEW.queue, NEW.status, 1
    WHERE NEW.status IN ('COMPLETED', 'FAILED') AND NEW.completed_at IS NOT NULL
    ON CONFLICT (bucket, queue, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_move AFTER UPDATE OF status, queue ON jobs
WHEN OLD.status IS NOT NEW.status OR OLD.queue IS NOT NEW.queue
BEGIN
  UPDATE queue_status_counts SET n = n - 1 WHERE queue = OLD.queue AND status = OLD.status;
  INSERT INTO queue_status_counts (queue, status, n) VALUES (NEW.queue, NEW.status, 1)
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
  INSERT INTO job_finishes (bucket, queue, status, n) SELECT NEW.completed_at / 10000, NEW.queue, NEW.status, 1
    WHERE NEW.status IN ('COMPLETED', 'FAILED') AND OLD.status IS NOT NEW.status AND NEW.completed_at IS NOT NULL
    ON CONFLICT (bucket, queue, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs
BEGIN
  UPDATE queue_status_counts SET n = n - 1 WHERE queue = OLD.queue AND status = OLD.status;
END;

CREATE TABLE maintenance_leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Only the events prune deletes by age (progress and removals; a job's others go with the job):
-- every entry of a range of this index is one to delete, so a prune reads at most its limit.
CREATE INDEX events_prunable ON events (at) WHERE type IN ('job:progress', 'job:removed');

-- Listings filtered by status and task, newest first, without reading the other tasks' jobs of
-- that status (or the other statuses' jobs of that task).
CREATE INDEX jobs_status_task ON jobs (status, task, id);
