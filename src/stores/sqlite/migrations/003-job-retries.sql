-- 003-job-retries: counts the operator's retries of each job.
-- Tables: jobs gains `retries`, how many times `retry` or `retryAllFailed` put the job back to
-- QUEUED after it failed or was canceled (a retry restarts `attempt` at 0, so without it a
-- retried job looks new). Existing jobs read 0; adding a column with a constant default
-- rewrites no rows.
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
