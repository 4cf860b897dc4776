// The deployment's configuration: every setting with its default, parsed and validated once.
// Values arrive as raw strings (or numbers/booleans) from any source; reading the environment
// or the command line is the caller's business (src/cli), never this module's.
import { DURATION_FORMS, parseDuration } from "./duration.js";
import { ConfigInvalidError } from "./errors.js";
import { JOB_BOUNDS, JOB_DEFAULTS, isValidQueueName } from "./job-rules.js";
import { parseTrustProxy, type TrustProxySetting } from "./trusted-proxies.js";

/** Log levels a deployment can choose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** Log formats: readable lines or JSON lines. */
export const LOG_FORMATS = ["text", "json"] as const;

/** The validated configuration of a Caudex process. */
export interface CaudexConfig {
  /** Redis URL; null means another store. Set, it wins over a PostgreSQL URL (see `configuredStore`). */
  redisUrl: string | null;
  /** PostgreSQL URL (postgres:// or postgresql://); used when no Redis URL is set. Null means none. */
  postgresUrl: string | null;
  /** Namespace of the Redis keys. */
  namespace: string;
  /** SQLite database file, used when no Redis URL is set. */
  sqlitePath: string;
  /** Full-access API token; null means none configured. */
  token: string | null;
  /** Read-only API token; null means none. */
  readonlyToken: string | null;
  /** Worker token: runs the worker protocol over HTTP and nothing else; null means none. */
  workerToken: string | null;
  /** Queues the worker token may claim from; null means any. */
  workerQueues: string[] | null;
  /** Interface the HTTP server binds; null lets the command pick (dev: loopback, serve: all). */
  host: string | null;
  port: number;
  /** Proxies whose X-Forwarded-For/-Proto the HTTP server believes: false (default), true (any), or addresses/CIDRs. */
  trustProxy: TrustProxySetting;
  /** Worker name; null means host-pid. */
  workerName: string | null;
  /** Queues a worker listens on, in strict priority order. */
  queues: string[];
  concurrency: number;
  /** Tasks module a worker loads; null means the bundled examples (dev) or none. */
  tasksModule: string | null;
  resultTtlSeconds: number;
  failureTtlSeconds: number;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
}

/** A configuration key. */
export type ConfigKey = keyof CaudexConfig;

/** A raw value before parsing, as it comes from a flag or an environment variable. */
export type RawConfigValue = string | number | boolean | readonly string[];

/**
 * Every default of a deployment: SQLite in ./data, port 5000, the job rules' retention (RQ's
 * TTLs). A worker process listens on high,default with 4 slots, unlike a library Worker
 * (default, 1 slot): decision 0011 says why.
 */
export const DEFAULT_CONFIG: Readonly<CaudexConfig> = Object.freeze({
  redisUrl: null,
  postgresUrl: null,
  namespace: "default",
  sqlitePath: "./data/caudex.db",
  token: null,
  readonlyToken: null,
  workerToken: null,
  workerQueues: null,
  host: null,
  port: 5000,
  trustProxy: false,
  workerName: null,
  queues: ["high", "default"],
  concurrency: 4,
  tasksModule: null,
  resultTtlSeconds: JOB_DEFAULTS.resultTtlSeconds,
  failureTtlSeconds: JOB_DEFAULTS.failureTtlSeconds,
  logLevel: "info",
  logFormat: "text",
});

// The same rule as the Redis key builder: the namespace goes inside a {hash tag}.
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

type Parsed<T> = { value: T } | { problem: string };
type Parser<K extends ConfigKey> = (raw: RawConfigValue) => Parsed<CaudexConfig[K]>;

// Each parser returns the value, or the problem phrased to follow the setting's name.
const PARSERS: { [K in ConfigKey]: Parser<K> } = {
  redisUrl: (raw) => {
    const text = String(raw).trim();
    if (text === "") return ok(null);
    return /^rediss?:\/\/.+/.test(text) ? ok(text) : problem("must be a redis:// or rediss:// URL");
  },
  postgresUrl: (raw) => {
    const text = String(raw).trim();
    if (text === "") return ok(null);
    return /^postgres(ql)?:\/\/.+/.test(text) ? ok(text) : problem("must be a postgres:// or postgresql:// URL");
  },
  namespace: (raw) => (NAMESPACE.test(String(raw)) ? ok(String(raw)) : problem("must be 1 to 64 letters, digits, _ . -")),
  sqlitePath: (raw) => (String(raw).trim() === "" ? problem("must be a file path") : ok(String(raw))),
  token: (raw) => apiToken(raw),
  readonlyToken: (raw) => apiToken(raw),
  workerToken: (raw) => apiToken(raw),
  workerQueues: (raw) => {
    if ((Array.isArray(raw) ? raw.join(",") : String(raw)).trim() === "") return ok(null);
    return queueList(raw);
  },
  host: optional,
  port: (raw) => integer(raw, 0, 65535),
  trustProxy: (raw) => parseTrustProxy(raw),
  workerName: (raw) => {
    const text = String(raw).trim();
    if (text === "") return ok(null);
    return text.length <= JOB_BOUNDS.maxWorkerNameLength ? ok(text) : problem(`must be at most ${JOB_BOUNDS.maxWorkerNameLength} characters`);
  },
  queues: (raw) => queueList(raw),
  concurrency: (raw) => integer(raw, 1, JOB_BOUNDS.maxConcurrency),
  tasksModule: optional,
  resultTtlSeconds: (raw) => ttlSeconds(raw),
  failureTtlSeconds: (raw) => ttlSeconds(raw),
  logLevel: (raw) => oneOf(raw, LOG_LEVELS),
  logFormat: (raw) => oneOf(raw, LOG_FORMATS),
};

/** A comma-separated (or listed) set of queue names, in order, without repeats. */
function queueList(raw: RawConfigValue): Parsed<string[]> {
  const list = (Array.isArray(raw) ? raw.map(String) : String(raw).split(",")).map((q) => q.trim()).filter((q) => q !== "");
  if (list.length === 0) return problem("must name at least one queue, e.g. high,default");
  const bad = list.filter((q) => !isValidQueueName(q));
  if (bad.length > 0) return problem(`has invalid queue names ${bad.map((q) => `"${q}"`).join(", ")} (use letters, digits, _ . : -)`);
  return ok([...new Set(list)]);
}

function problem(text: string): { problem: string } {
  return { problem: text };
}

function ok<T>(value: T): { value: T } {
  return { value };
}

function integer(raw: RawConfigValue, min: number, max: number): Parsed<number> {
  const text = String(raw).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) return problem(`must be an integer from ${min} to ${max}`);
  return ok(n);
}

/** A retention: any duration (`1d`, `12h`) or plain seconds as RQ took it, in whole seconds. */
function ttlSeconds(raw: RawConfigValue): Parsed<number> {
  const ms = parseDuration(String(raw));
  const max = JOB_BOUNDS.maxTtlSeconds;
  if (ms === null || ms % 1000 !== 0 || ms / 1000 > max) return problem(`must be ${DURATION_FORMS}, in whole seconds from 0 to ${max / 86_400}d`);
  return ok(ms / 1000);
}

function oneOf<T extends string>(raw: RawConfigValue, allowed: readonly T[]): Parsed<T> {
  const text = String(raw).trim().toLowerCase();
  return (allowed as readonly string[]).includes(text) ? ok(text as T) : problem(`must be one of ${allowed.join(", ")}`);
}

/** Shortest API token accepted: shorter ones can be guessed (and were typos or placeholders). */
export const MIN_TOKEN_LENGTH = 16;
const TOKEN_ADVICE = "(generate one with `openssl rand -hex 32`)";
// Secrets: a problem names their length, never their value, so it can be logged safely.
const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set(["token", "readonlyToken", "workerToken"]);
// URLs may carry a password: a problem shows them redacted.
const URL_KEYS: ReadonlySet<ConfigKey> = new Set(["redisUrl", "postgresUrl"]);

// A bearer token travels as one header word: with whitespace or control characters inside it
// the server would start but no request could ever present it.
function apiToken(raw: RawConfigValue): Parsed<string | null> {
  const text = String(raw).trim();
  if (text === "") return ok(null);
  if (/[\s\p{Cc}]/u.test(text)) return problem(`must not contain spaces or control characters ${TOKEN_ADVICE}`);
  if (text.length < MIN_TOKEN_LENGTH) return problem(`must be at least ${MIN_TOKEN_LENGTH} characters ${TOKEN_ADVICE}`);
  return ok(text);
}

function optional(raw: RawConfigValue): Parsed<string | null> {
  const text = String(raw).trim();
  return ok(text === "" ? null : text);
}

/**
 * Parses and validates raw values over the defaults; throws ConfigInvalidError listing every
 * problem at once. `sources` names where each value came from (e.g. "CAUDEX_CONCURRENCY"),
 * so that a problem points at what to fix.
 */
export function parseConfig(
  raw: Partial<Record<ConfigKey, RawConfigValue | undefined>>,
  sources: Partial<Record<ConfigKey, string>> = {},
): CaudexConfig {
  const config: CaudexConfig = { ...DEFAULT_CONFIG, queues: [...DEFAULT_CONFIG.queues] };
  const problems: string[] = [];
  for (const key of Object.keys(PARSERS) as ConfigKey[]) {
    const value = raw[key];
    if (value === undefined) continue;
    const parsed = (PARSERS[key] as Parser<ConfigKey>)(value);
    if ("problem" in parsed) {
      const got = SECRET_KEYS.has(key) ? `${String(value).length} character(s)` : `"${URL_KEYS.has(key) ? redactUrl(String(value)) : String(value)}"`;
      problems.push(`${sources[key] ?? key} ${parsed.problem} (got ${got})`);
      continue;
    }
    (config as unknown as Record<ConfigKey, unknown>)[key] = parsed.value;
  }
  if (config.token !== null && config.token === config.readonlyToken) {
    problems.push(`${sources.readonlyToken ?? "readonlyToken"} must differ from the full-access token`);
  }
  if (config.workerToken !== null && (config.workerToken === config.token || config.workerToken === config.readonlyToken)) {
    problems.push(`${sources.workerToken ?? "workerToken"} must differ from the full-access and read-only tokens`);
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return config;
}

/** The stores a deployment can name. */
export type StoreChoice = { kind: "redis"; url: string } | { kind: "postgres"; url: string } | { kind: "sqlite"; path: string };

/**
 * Which store a configuration opens: Redis when a Redis URL is set, else PostgreSQL when a
 * PostgreSQL URL is, else the SQLite file. Redis comes first because DATABASE_URL, one of the
 * PostgreSQL URL's sources, often names an application's own database beside a Redis store.
 */
export function configuredStore(config: Pick<CaudexConfig, "redisUrl" | "postgresUrl" | "sqlitePath">): StoreChoice {
  if (config.redisUrl !== null) return { kind: "redis", url: config.redisUrl };
  if (config.postgresUrl !== null) return { kind: "postgres", url: config.postgresUrl };
  return { kind: "sqlite", path: config.sqlitePath };
}

/** Hides the password of a URL (redis://user:secret@host → redis://user:***@host). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}
