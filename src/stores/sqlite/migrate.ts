// Applies the numbered SQL migrations in migrations/ that a database has not seen yet,
// each in its own transaction, recording them in schema_migrations.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "better-sqlite3";

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");

/** A migration file: its number and SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations shipped with this version, in order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}-.+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), name: file, sql: readFileSync(join(dir, file), "utf8") }));
}

/** Brings the schema up to date; safe to run from several processes at once. */
export function migrate(db: Database, migrations: Migration[] = loadMigrations()): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  let applied = 0;
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so two processes never apply the same step.
    db.transaction(() => {
      const seen = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(migration.version);
      if (seen !== undefined) return;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
      applied += 1;
    }).immediate();
  }
  return applied;
}
