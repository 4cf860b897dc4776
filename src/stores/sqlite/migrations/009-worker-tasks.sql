-- 009-worker-tasks: the task names each worker runs, published with its registry entry (for
-- explanations of waiting jobs and enqueue warnings).
-- Tables: workers gains tasks (JSON array of names; '[]' for entries written before: such a
-- worker may run any task).
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

ALTER TABLE workers ADD COLUMN tasks TEXT NOT NULL DEFAULT '[]';
