// Every configuration setting's command-line flag and environment variables, in one table:
// main.ts reads them, --help prints them, docs/configuration.md documents them.
import type { ConfigKey } from "../core/config.js";

/** How one setting is given: a flag, and environment variables in order of precedence. */
export interface SettingSource {
  flag: string;
  /** A one-letter flag, as RQ's (`-n`, `-q`, `-u`); unique within each command that takes the setting. */
  short?: string;
  /** The first name is Caudex's; later ones are aliases kept from the RQ setup. */
  env: readonly string[];
  /** Value placeholder and meaning, for --help. */
  help: string;
  /** Variables that other programs set too (DATABASE_URL): read only when the value matches, passed over otherwise. */
  sharedEnv?: Readonly<Record<string, RegExp>>;
}

// DATABASE_URL often names an application's own database of another kind: only a PostgreSQL one selects the store.
const POSTGRES_URL = /^postgres(ql)?:\/\/./;

/** Flags and variables of every setting. A flag beats a variable; a variable beats a default. */
export const SETTINGS: Readonly<Record<ConfigKey, SettingSource>> = {
  redisUrl: { flag: "redis-url", short: "u", env: ["REDIS_URL"], help: "URL  Redis store (default: the SQLite file); wins over a PostgreSQL URL" },
  postgresUrl: { flag: "postgres-url", env: ["CAUDEX_POSTGRES_URL", "DATABASE_URL"], help: "URL  PostgreSQL store, when no Redis URL is set (default: the SQLite file)", sharedEnv: { DATABASE_URL: POSTGRES_URL } },
  namespace: { flag: "namespace", env: ["CAUDEX_NAMESPACE"], help: "NAME  Redis key namespace (default: default)" },
  sqlitePath: { flag: "db", env: ["CAUDEX_DB"], help: "FILE  SQLite database file (default: ./data/caudex.db)" },
  token: { flag: "token", env: ["INTERNAL_SERVICE_TOKEN"], help: "TOKEN  full-access API token" },
  readonlyToken: { flag: "readonly-token", env: ["CAUDEX_READONLY_TOKEN"], help: "TOKEN  read-only API token" },
  workerToken: { flag: "worker-token", env: ["CAUDEX_WORKER_TOKEN"], help: "TOKEN  worker token: runs the worker protocol over HTTP, nothing else" },
  workerQueues: { flag: "worker-queues", env: ["CAUDEX_WORKER_QUEUES"], help: "LIST  queues the worker token may claim from (default: any)" },
  host: { flag: "host", env: ["HOST"], help: "HOST  interface to bind (dev: 127.0.0.1; serve, dashboard: 0.0.0.0)" },
  port: { flag: "port", short: "p", env: ["PORT"], help: "PORT  HTTP port (default: 5000; dashboard: 9181)" },
  trustProxy: { flag: "trust-proxy", env: ["CAUDEX_TRUST_PROXY"], help: "LIST  proxies whose X-Forwarded-For/-Proto to believe: addresses/CIDRs, true (any) or false (default)" },
  workerName: { flag: "name", short: "n", env: ["CAUDEX_WORKER_NAME", "RQ_WORKER_NAME"], help: "NAME  worker name, unique per live worker (default: host-pid)" },
  queues: { flag: "queues", short: "q", env: ["CAUDEX_QUEUES", "RQ_QUEUE_NAMES"], help: "LIST  queues in priority order (default: high,default)" },
  concurrency: { flag: "concurrency", short: "c", env: ["CAUDEX_CONCURRENCY"], help: "N  jobs run at once (default: 4)" },
  tasksModule: { flag: "tasks", short: "t", env: ["CAUDEX_TASKS"], help: "FILE  tasks module to load (JavaScript, resolved from the current directory)" },
  resultTtlSeconds: { flag: "result-ttl", env: ["CAUDEX_RESULT_TTL", "RQ_RESULT_TTL"], help: "DURATION  keep completed jobs, e.g. 1d or 86400 (default: 1d)" },
  failureTtlSeconds: { flag: "failure-ttl", env: ["CAUDEX_FAILURE_TTL", "RQ_FAILURE_TTL"], help: "DURATION  keep failed jobs, e.g. 7d or 604800 (default: 7d)" },
  logLevel: { flag: "log-level", env: ["CAUDEX_LOG_LEVEL"], help: "LEVEL  debug, info, warn or error (default: info)" },
  logFormat: { flag: "log-format", env: ["CAUDEX_LOG_FORMAT"], help: "FORMAT  text or json (default: text)" },
};

/** Settings every command accepts: where the store is, and how to log. */
export const COMMON_SETTINGS: readonly ConfigKey[] = ["redisUrl", "postgresUrl", "namespace", "sqlitePath", "logLevel", "logFormat"];
