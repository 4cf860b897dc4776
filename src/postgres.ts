// The `caudex/postgres` entry: the PostgreSQL store with node-postgres' types. The root entry
// does not name pg's types, so projects on SQLite or Redis compile without the optional driver.
export { DEFAULT_POSTGRES_SCHEMA, PostgresStore } from "./stores/postgres/postgres-store.js";
export type { PostgresStoreOptions } from "./stores/postgres/postgres-store.js";
