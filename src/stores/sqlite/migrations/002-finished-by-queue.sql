-- Finished jobs by status and time, now with the queue in the index: per-queue finish counts
-- (stats' last minute, the dashboard's per-minute hour) are read from the index alone, without
-- a table lookup per finished job.
CREATE INDEX jobs_finished_by_queue ON jobs (status, completed_at, queue) WHERE completed_at IS NOT NULL;
DROP INDEX jobs_finished;
