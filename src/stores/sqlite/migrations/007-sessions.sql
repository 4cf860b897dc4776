-- 007-sessions: dashboard sessions that were signed out before their expiry.
-- Tables: revoked_sessions (new: one row per signed-out session id, with the time after which
-- the session's cookie has expired anyway, so the row can go). Rows are deleted a few at a
-- time by later revocations once expired; reads ignore expired rows.
-- Returns: nothing; applied once, inside a transaction, recorded in schema_migrations.

CREATE TABLE revoked_sessions (
  id          TEXT PRIMARY KEY,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
-- Finding the expired rows to delete, oldest first.
CREATE INDEX revoked_sessions_expiry ON revoked_sessions (expires_at);
