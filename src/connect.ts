// Opens the store a deployment names: PostgreSQL or Redis when a URL is given, the SQLite file
// otherwise. The Redis and PostgreSQL drivers are imported lazily, so SQLite-only users never
// load them, and their types are not named here, so the package's root types compile without
// ioredis or pg (`caudex/redis` and `caudex/postgres` have them).
import { Client, type ClientOptions } from "./core/client.js";
import type { Logger } from "./core/logger.js";
import type { Store } from "./core/store.js";
import type { RedisStoreOptions } from "./stores/redis/redis-store.js";
import { SqliteStore, type SqliteStoreOptions } from "./stores/sqlite/sqlite-store.js";

/**
 * Redis settings for `createStore`, typed without the driver: `redisOptions` and the Cluster
 * options are handed to ioredis as they are. `RedisStore.connect` from `caudex/redis` takes
 * the same settings with ioredis' own types.
 */
export interface RedisSettings {
  /** ioredis options (sentinels, name, tls, username, password, db, …). */
  redisOptions?: { sentinels?: ReadonlyArray<{ host?: string; port?: number }>; [option: string]: unknown };
  /** Connect to a Redis Cluster through these seed nodes instead of a URL. */
  cluster?: { nodes: ReadonlyArray<string | number | { host?: string; port?: number }>; options?: Record<string, unknown> };
  logger?: Logger;
}

/**
 * PostgreSQL settings for `createStore`, typed without the driver (`PostgresStore.connect` from
 * `caudex/postgres` takes these and a node-postgres pool of its own).
 */
export interface PostgresSettings {
  /** Schema of the store's tables (default `caudex`). */
  schema?: string;
  /** Connections of the pool (default 10). */
  poolSize?: number;
  /** A direct connection for LISTEN when the URL goes through PgBouncer in transaction mode; `false`: poll only. */
  listenUrl?: string | false;
  /** Named prepared statements (default true); turn off behind a pooler that cannot keep them. */
  preparedStatements?: boolean;
  /** How often waiters poll while no notification comes (default 1000 ms). */
  pollIntervalMs?: number;
}

/** Which store to open. */
export interface ConnectOptions {
  /** A postgres:// URL; when set (and no Redis URL is), the PostgreSQL store is used (the `pg` package must be installed). */
  postgresUrl?: string;
  /** More PostgreSQL settings (schema, pool size, LISTEN connection). */
  postgres?: PostgresSettings;
  /** A redis:// or rediss:// URL; when set, the Redis store is used. */
  redisUrl?: string;
  /** Namespace of the Redis keys (caudex:{namespace}:…). */
  namespace?: string;
  /** More Redis settings: ioredis options (Sentinel, TLS), Cluster nodes, a logger. Sentinel or Cluster settings select Redis without a URL. */
  redis?: RedisSettings;
  /** SQLite file (default ./data/caudex.db) when no Redis URL is given. */
  sqlite?: SqliteStoreOptions;
}

/**
 * Opens a store: Redis when `redisUrl` (or Sentinel or Cluster settings) is set, else PostgreSQL
 * when `postgresUrl` is, else SQLite: the order the command line follows (decision 0028).
 */
export async function createStore(options: ConnectOptions = {}): Promise<Store> {
  const url = options.redisUrl ?? "";
  if (url !== "" || options.redis?.cluster !== undefined || options.redis?.redisOptions?.sentinels !== undefined) {
    const { RedisStore } = await import("./stores/redis/redis-store.js");
    return RedisStore.connect({
      // The same settings, checked by ioredis' types only where caudex/redis is imported.
      ...(options.redis as Omit<RedisStoreOptions, "url" | "namespace"> | undefined),
      ...(url === "" ? {} : { url }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    });
  }
  if (options.postgresUrl !== undefined && options.postgresUrl !== "") {
    const { PostgresStore } = await import("./stores/postgres/postgres-store.js");
    return PostgresStore.connect({ ...options.postgres, url: options.postgresUrl });
  }
  return new SqliteStore(options.sqlite ?? {});
}

/** Opens a store and returns a client on it. */
export async function createClient(options: ConnectOptions & Omit<ClientOptions, "store"> = {}): Promise<Client> {
  const store = await createStore(options);
  return new Client({ ...options, store });
}
