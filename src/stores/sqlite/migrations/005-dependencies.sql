-- 005-dependencies: jobs that wait for other jobs, flows and batches (decision 0018).
-- Tables: job_dependencies (new: one row per edge, a dependent and the job it waits for, and
-- whether that job's end has been counted for it); jobs gains the dependent's counts (`deps_*`),
-- its failure policy, how many jobs depend on it (`dependents`: a settlement reads it from the
-- row it updates, so a job without dependents costs no extra statement), and its owner and
-- flow. Nullable columns and defaults rewrite no existing rows.
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

ALTER TABLE jobs ADD COLUMN depends_on TEXT;
ALTER TABLE jobs ADD COLUMN on_dependency_failure TEXT;
ALTER TABLE jobs ADD COLUMN deps_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN deps_waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN deps_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN deps_canceled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN dependents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN parent_id TEXT;
ALTER TABLE jobs ADD COLUMN flow_id TEXT;

-- Keyed by the dependency first: the settlement of a job reads its uncounted dependents.
CREATE TABLE job_dependencies (
  depends_on TEXT NOT NULL,
  job_id     TEXT NOT NULL,
  counted    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (depends_on, job_id)
) WITHOUT ROWID;
-- A dependent's own edges (its outcomes, a retry's recount, deletion).
CREATE INDEX job_dependencies_job ON job_dependencies (job_id);
-- The jobs a job owns (cancel, retry and removal of a subtree), and the members of a flow.
CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_flow ON jobs (flow_id) WHERE flow_id IS NOT NULL;
