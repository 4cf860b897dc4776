// Signed-out dashboard sessions in the SQLite file: one row per revocation, kept until the
// session would have expired. Each revocation also deletes a few expired rows, so the table
// holds only sessions that could still be used.
import type BetterSqlite3 from "better-sqlite3";
import { checkSessionRevocation } from "../../core/session-revocation.js";

// Expired rows deleted per revocation: more than one, so the table shrinks while in use.
const PRUNE_PER_REVOCATION = 100;

/** The revocation statements of one database. */
export class SqliteSessions {
  private readonly revokeStatement: BetterSqlite3.Statement;
  private readonly pruneStatement: BetterSqlite3.Statement;
  private readonly revokedStatement: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    // A second revocation of a session keeps the later expiry.
    this.revokeStatement = db.prepare(
      "INSERT INTO revoked_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)",
    );
    this.pruneStatement = db.prepare(
      `DELETE FROM revoked_sessions WHERE id IN (SELECT id FROM revoked_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ${PRUNE_PER_REVOCATION})`,
    );
    this.revokedStatement = db.prepare("SELECT 1 FROM revoked_sessions WHERE id = ? AND expires_at > ?").pluck();
  }

  /** Records a revocation (inside a write the store opened) and drops some expired ones. */
  revoke(sessionId: string, expiresAt: number, now: number): void {
    checkSessionRevocation(sessionId, expiresAt);
    this.pruneStatement.run(now);
    if (expiresAt > now) this.revokeStatement.run(sessionId, expiresAt);
  }

  /** True while the session's revocation has not expired. */
  isRevoked(sessionId: string, now: number): boolean {
    checkSessionRevocation(sessionId);
    return this.revokedStatement.get(sessionId, now) !== undefined;
  }
}
