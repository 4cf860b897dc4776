// Every configuration setting's command-line flag and environment variables, in one table:
// main.ts reads them, --help prints them, docs/configuration.md documents them.
import type { ConfigKey } from "../core/config.js";

/** How one setting is given: a flag, and environment variables in order of precedence. */
export interface SettingSource {
  flag: string;
  /** The first name is Caudex's; later ones are aliases kept from the RQ setup. */
  env: readonly string[];
  /** Value placeholder and meaning, for --help. */
  help: string;
}

/** Flags and variables of every setting. A flag beats a variable; a variable beats a default. */
export const SETTINGS: Readonly<Record<ConfigKey, SettingSource>> = {
  redisUrl: { flag: "redis-url", env: ["REDIS_URL"], help: "URL  Redis store (default: the SQLite file)" },
  namespace: { flag: "namespace", env: ["CAUDEX_NAMESPACE"], help: "NAME  Redis key namespace (default: default)" },
  sqlitePath: { flag: "db", env: ["CAUDEX_DB"], help: "FILE  SQLite database file (default: ./data/caudex.db)" },
  token: { flag: "token", env: ["INTERNAL_SERVICE_TOKEN"], help: "TOKEN  full-access API token" },
  readonlyToken: { flag: "readonly-token", env: ["CAUDEX_READONLY_TOKEN"], help: "TOKEN  read-only API token" },
  workerToken: { flag: "worker-token", env: ["CAUDEX_WORKER_TOKEN"], help: "TOKEN  worker token: runs the worker protocol over HTTP, nothing else" },
  workerQueues: { flag: "worker-queues", env: ["CAUDEX_WORKER_QUEUES"], help: "LIST  queues the worker token may claim from (default: any)" },
  host: { flag: "host", env: ["HOST"], help: "HOST  interface to bind (dev: 127.0.0.1; serve, dashboard: 0.0.0.0)" },
  port: { flag: "port", env: ["PORT"], help: "PORT  HTTP port (default: 5000; dashboard: 9181)" },
  trustProxy: { flag: "trust-proxy", env: ["CAUDEX_TRUST_PROXY"], help: "LIST  proxies whose X-Forwarded-For/-Proto to believe: addresses/CIDRs, true (any) or false (default)" },
  workerName: { flag: "name", env: ["CAUDEX_WORKER_NAME", "RQ_WORKER_NAME"], help: "NAME  worker name, unique per live worker (default: host-pid)" },
  queues: { flag: "queues", env: ["CAUDEX_QUEUES", "RQ_QUEUE_NAMES"], help: "LIST  queues in priority order (default: high,default)" },
  concurrency: { flag: "concurrency", env: ["CAUDEX_CONCURRENCY"], help: "N  jobs run at once (default: 4)" },
  tasksModule: { flag: "tasks", env: ["CAUDEX_TASKS"], help: "FILE  tasks module to load (JavaScript, resolved from the current directory)" },
  resultTtlSeconds: { flag: "result-ttl", env: ["CAUDEX_RESULT_TTL", "RQ_RESULT_TTL"], help: "SECONDS  keep completed jobs (default: 86400)" },
  failureTtlSeconds: { flag: "failure-ttl", env: ["CAUDEX_FAILURE_TTL", "RQ_FAILURE_TTL"], help: "SECONDS  keep failed jobs (default: 604800)" },
  logLevel: { flag: "log-level", env: ["CAUDEX_LOG_LEVEL"], help: "LEVEL  debug, info, warn or error (default: info)" },
  logFormat: { flag: "log-format", env: ["CAUDEX_LOG_FORMAT"], help: "FORMAT  text or json (default: text)" },
};

/** Settings every command accepts: where the store is, and how to log. */
export const COMMON_SETTINGS: readonly ConfigKey[] = ["redisUrl", "namespace", "sqlitePath", "logLevel", "logFormat"];
