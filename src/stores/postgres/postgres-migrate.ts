// Applies the numbered SQL migrations in migrations/ that a schema has not seen yet, together in
// one transaction under an advisory lock (so that processes starting together apply each step
// once), recording them in <schema>.schema_migrations.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");
// The advisory lock of migrations (a constant, with the schema's name hashed in by hashtext).
const MIGRATION_LOCK = 0x63617564;

/** A migration file: its number and SQL (`{schema}` stands for the store's schema). */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations shipped with this version, in order. */
export function loadPostgresMigrations(dir: string = MIGRATIONS_DIR): PostgresMigration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}-.+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), name: file, sql: readFileSync(join(dir, file), "utf8") }));
}

/** Brings `schema` up to date on `client`; returns how many migrations it applied. */
export async function migratePostgres(client: pg.PoolClient | pg.Client, schema: string, migrations: PostgresMigration[] = loadPostgresMigrations()): Promise<number> {
  const quoted = `"${schema}"`;
  let applied = 0;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [MIGRATION_LOCK, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const seen = new Set((await client.query<{ version: number }>(`SELECT version FROM ${quoted}.schema_migrations`)).rows.map((r) => r.version));
    for (const migration of migrations) {
      if (seen.has(migration.version)) continue;
      await client.query(migration.sql.replaceAll("{schema}", quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied += 1;
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return applied;
}
