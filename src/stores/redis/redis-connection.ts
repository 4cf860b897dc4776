// Opening Redis connections for the store and checking the server before trusting it: no
// offline queue (nothing is acknowledged from memory), fast reconnects, and refusal of an
// eviction policy that could drop jobs.
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";
import { CaudexError, StoreMisconfiguredError, StoreUnavailableError } from "../../core/errors.js";
import type { Json } from "../../core/job.js";
import { UnexpectedReplyError, type RedisConnection } from "./scripts.js";

/** How to reach Redis: a URL, Sentinel/TLS/ACL settings in `redisOptions`, or Cluster nodes. */
export interface RedisConnectionOptions {
  /** redis://[user:password@]host:port/db or rediss:// for TLS. */
  url?: string;
  /** Passed through to ioredis (sentinels, name, tls, username, password, db, …). */
  redisOptions?: RedisOptions;
  /** Connect to a Redis Cluster through these seed nodes instead of `url`. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
}

/** What the server check found: warnings for health, and details. */
export interface ServerReport {
  warnings: string[];
  details: Record<string, Json>;
}

// Commands fail at once while disconnected instead of waiting in a client-side queue, and a
// command in flight when the connection drops fails rather than being replayed later.
const SAFE_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  lazyConnect: true,
  enableAutoPipelining: false,
  connectTimeout: 5000,
  retryStrategy: (times: number) => Math.min(times * 50, 500),
};

/** A new, not yet connected client with the store's safe settings. */
export function openConnection(options: RedisConnectionOptions): RedisConnection {
  if (options.cluster !== undefined) {
    // The safe settings come last here too: no per-node offline queue or command retries.
    const redisOptions = { ...options.cluster.options?.redisOptions, ...options.redisOptions, ...SAFE_OPTIONS } as NonNullable<ClusterOptions["redisOptions"]> & { replyMapping?: "legacy" };
    return new Cluster(options.cluster.nodes, {
      ...options.cluster.options,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      lazyConnect: true,
      clusterRetryStrategy: (times: number) => Math.min(times * 50, 500),
      redisOptions,
    });
  }
  // The safe settings come last: callers cannot turn the offline queue back on by accident.
  const settings = { ...options.redisOptions, ...SAFE_OPTIONS } as RedisOptions & { replyMapping?: "legacy" };
  return options.url === undefined ? new Redis(settings) : new Redis(options.url, settings);
}

/**
 * Connects, or fails with STORE_UNAVAILABLE saying why. The driver reports a refused AUTH or
 * SELECT as an error event (a reply error), not by rejecting connect(), and after a refused
 * SELECT it even goes on, on database 0: such a refusal fails the connect. Other error events
 * (a Sentinel that did not answer before another did) only name the cause when connect() fails.
 */
export async function connectChecked(redis: RedisConnection): Promise<RedisConnection> {
  const seen: { last: Error | null; refused: Error | null } = { last: null, refused: null };
  const onSetupError = (error: Error): void => {
    seen.last = error;
    if (error.name === "ReplyError") seen.refused ??= error;
  };
  redis.on("error", onSetupError);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const cause = seen.refused ?? seen.last ?? error;
    throw new StoreUnavailableError(`Cannot connect to Redis: ${String(cause)}`, cause);
  }
  redis.off("error", onSetupError);
  redis.on("error", () => undefined);
  if (seen.refused !== null) {
    redis.disconnect();
    throw new StoreUnavailableError(`Redis refused to set up the connection (check the password and database number): ${String(seen.refused)}`, seen.refused);
  }
  return redis;
}

/** A second connection with the same settings (for blocking reads and subscriptions). */
export function duplicateConnection(redis: RedisConnection): RedisConnection {
  return redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
}

const TRANSIENT = /^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|BUSY|NOREPLICAS)/;
// A server that refuses writes until an operator (or freed memory) lets it: OOM at maxmemory,
// MISCONF after a failed RDB save. Redis 6.2 wraps an error raised inside a script as
// "ERR Error running script ...: -OOM ...", so the word may follow a dash.
const OUT_OF_MEMORY = /(^|-)OOM\b/;
const PERSISTENCE_FAILED = /(^|-)MISCONF\b/;

/**
 * Maps connection failures, a server that is loading or failing over, and one that refuses
 * writes (OOM at maxmemory, MISCONF after a failed RDB save) to STORE_UNAVAILABLE.
 * Other reply errors of a reachable server and a script reply of the wrong shape pass through as they
 * are: "Redis is unavailable" would send an operator after the wrong thing. (Other errors are
 * taken for the connection's: ioredis rejects in-flight commands with whatever broke the
 * stream, a RangeError of its reply decoder included.)
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof CaudexError || error instanceof UnexpectedReplyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === "ReplyError";
  if (isReply && OUT_OF_MEMORY.test(message)) return new StoreUnavailableError(`Redis is at maxmemory (noeviction): ${message}`, error);
  if (isReply && PERSISTENCE_FAILED.test(message)) return new StoreUnavailableError(`Redis refuses writes because it cannot save to disk (MISCONF): ${message}`, error);
  if (isReply && !TRANSIENT.test(message)) return error;
  return new StoreUnavailableError(`Redis is unavailable: ${message}`, error);
}

/** True for a reply error by which the server refuses writes until memory or disk frees (OOM, MISCONF). */
export function refusesWrites(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== "ReplyError") return false;
  return OUT_OF_MEMORY.test(error.message) || PERSISTENCE_FAILED.test(error.message);
}

async function configValue(redis: RedisConnection, name: string): Promise<string> {
  const reply = await redis.config("GET", name);
  return reply[1] ?? "";
}

/** Checks eviction and persistence; throws STORE_MISCONFIGURED when keys could be evicted. */
export async function inspectServer(redis: RedisConnection): Promise<ServerReport> {
  const warnings: string[] = [];
  const details: Record<string, Json> = {};
  const info = await redis.info("server");
  const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? "unknown";
  details.redisVersion = version;
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 6 || (major === 6 && minor < 2)) throw new StoreMisconfiguredError(`Redis ${version} is too old: Caudex needs 6.2 or later (7.0 recommended)`);
  let policy: string;
  try {
    policy = await configValue(redis, "maxmemory-policy");
  } catch {
    warnings.push("cannot read the server's CONFIG (managed Redis?): make sure maxmemory-policy is noeviction and persistence is on");
    return { warnings, details };
  }
  details.maxmemoryPolicy = policy;
  if (policy !== "noeviction") {
    throw new StoreMisconfiguredError(`Redis maxmemory-policy is "${policy}": it may evict jobs. Set it to noeviction.`);
  }
  const [appendonly, appendfsync, save] = await Promise.all(["appendonly", "appendfsync", "save"].map((n) => configValue(redis, n)));
  details.appendonly = appendonly ?? "";
  details.appendfsync = appendfsync ?? "";
  details.save = save ?? "";
  if (appendonly !== "yes" && (save ?? "") === "") {
    warnings.push("Redis persistence is off (no AOF, no RDB): every job is lost if the server restarts");
  } else if (appendonly !== "yes") {
    warnings.push("Redis AOF is off: jobs since the last RDB snapshot are lost if the server crashes");
  }
  return { warnings, details };
}
