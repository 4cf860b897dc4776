// The Lua scripts of the Redis store, each declared once with named KEYS and ARGV. Sources are
// read from lua/*.lua (with the definitions they use from lua/includes, see lua-source.ts), run by
// EVALSHA, and sent in full only when the server answers NOSCRIPT (e.g. after a restart).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { assembleScript } from "./lua-source.js";

/** A connection that can run scripts: a single server (or Sentinel-managed) or a Cluster. */
export type RedisConnection = Redis | Cluster;

type ArgValue = string | number;

/** Status words scripts return as the first element of their reply. */
export const ScriptStatus = {
  Ok: "OK",
  LeaseLost: "LEASE_LOST",
  NotFound: "NOT_FOUND",
  Invalid: "INVALID",
  Duplicate: "DUPLICATE",
  Superseded: "SUPERSEDED",
  /** enqueue-plain stored nothing: the batch needs the general enqueue script. */
  General: "GENERAL",
  /** An enqueue named a dependency that does not exist (job id, dependency id); nothing was stored. */
  DependencyNotFound: "DEPENDENCY_NOT_FOUND",
  /** A removal found an unfinished job that needs the job or belongs to its subtree (its id); nothing was deleted. */
  HasDependents: "HAS_DEPENDENTS",
} as const;

/** One of the status words. */
export type ScriptStatusValue = (typeof ScriptStatus)[keyof typeof ScriptStatus];

/** A checked script reply: its status and the rest of the reply. */
export interface ScriptReply {
  status: ScriptStatusValue;
  data: unknown[];
}

/** The two arguments every script takes first: the key prefix and the test clock ('' = TIME). */
export interface ScriptContext {
  prefix: string;
  now: string;
}

const STATUSES = new Set<string>(Object.values(ScriptStatus));

/** The named keys and arguments of one script run. */
export type RunInput<K extends string, A extends string> = Parameters<RedisScript<K, A>["run"]>[2];

/** Runs a script with a store's context and error mapping (the store's checked runner). */
export type ScriptRunner = <K extends string, A extends string>(script: RedisScript<K, A>, input: RunInput<K, A>) => Promise<ScriptReply>;

/** A script answered in a shape its caller does not know: a bug (or a foreign script), not an outage. */
export class UnexpectedReplyError extends Error {
  override name = "UnexpectedReplyError";
}
const LUA_DIR = new URL("./lua/", import.meta.url);

function readSource(name: string): string {
  return assembleScript(readFileSync(new URL(`${name}.lua`, LUA_DIR), "utf8"), (include) =>
    readFileSync(new URL(`includes/${include}.lua`, LUA_DIR), "utf8"),
  );
}

/** A script with named keys and arguments; `run` checks the reply's shape and status. */
export class RedisScript<K extends string, A extends string> {
  readonly source: string;
  readonly sha: string;

  constructor(
    readonly name: string,
    private readonly keyNames: readonly K[],
    private readonly argNames: readonly A[],
  ) {
    this.source = readSource(name);
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /**
   * Runs the script; `restKeys` and `rest` append variadic keys and arguments after the named
   * ones, and `mapError` turns a failure into the error callers see (a bad reply's
   * UnexpectedReplyError passes through). (Plain promise chaining, not async/await, and one
   * handler for both outcomes: this is every store call's hot path.)
   */
  run(
    redis: RedisConnection,
    ctx: ScriptContext,
    input: { keys: Record<K, string>; argv: Record<A, ArgValue>; restKeys?: readonly string[]; rest?: readonly ArgValue[] },
    mapError: (error: unknown) => unknown = (error) => error,
  ): Promise<ScriptReply> {
    // One array, never spread into the call: a batch of thousands of jobs is more arguments
    // than a JavaScript call takes.
    const args: ArgValue[] = [this.sha, this.keyNames.length + (input.restKeys?.length ?? 0)];
    for (const k of this.keyNames) args.push(input.keys[k]);
    if (input.restKeys !== undefined) for (const k of input.restKeys) args.push(k);
    args.push(ctx.prefix, ctx.now);
    for (const a of this.argNames) args.push(input.argv[a]);
    if (input.rest !== undefined) for (const value of input.rest) args.push(value);
    return redis.call("evalsha", args).then(
      (reply) => this.check(reply),
      (error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw mapError(error);
        args[0] = this.source;
        return redis.call("eval", args).then(
          (reply) => this.check(reply),
          (failure: unknown) => {
            throw mapError(failure);
          },
        );
      },
    );
  }

  private check(reply: unknown): ScriptReply {
    // A script's fast path may answer one text, 'STATUS|field|field...' (one bulk reply decodes
    // faster than nested arrays).
    if (typeof reply === "string") {
      const data = reply.split("|");
      const status = data.shift() ?? "";
      if (STATUSES.has(status)) return { status: status as ScriptStatusValue, data };
    }
    if (!Array.isArray(reply) || typeof reply[0] !== "string" || !STATUSES.has(reply[0])) {
      throw new UnexpectedReplyError(`Script ${this.name} returned an unexpected reply: ${JSON.stringify(reply)?.slice(0, 200)}`);
    }
    return { status: reply[0] as ScriptStatusValue, data: reply.slice(1) as unknown[] };
  }
}

const job = ["job"] as const;

/** Every script of the store, declared once. */
export const scripts = {
  enqueue: new RedisScript("enqueue", ["idempotency"], ["count"]),
  enqueuePlain: new RedisScript("enqueue-plain", ["queues", "watching"], []),
  enqueueOne: new RedisScript("enqueue-one", ["queues", "watching"], []),
  enqueuePending: new RedisScript("enqueue-pending", job, ["jobId"]),
  claim: new RedisScript("claim", ["paused"], ["worker", "incarnation", "limit", "leaseMs", "promoteLimit", "token", "unstand", "standMs", "completions"]),
  extendLeases: new RedisScript("extend-leases", ["leases"], ["leaseMs"]),
  complete: new RedisScript("complete", ["leases"], []),
  fail: new RedisScript("fail", job, ["jobId", "token", "error", "retryDelayMs", "postpone"]),
  progress: new RedisScript("progress", job, ["jobId", "token", "progress"]),
  release: new RedisScript("release", job, ["jobId", "token"]),
  promoteDue: new RedisScript("promote-due", ["scheduled", "leases", "expiry"], ["limit"]),
  recoverExpired: new RedisScript("recover-expired", ["leases"], ["limit", "stallLimit"]),
  prune: new RedisScript("prune", ["expiry", "workers", "workerBeats"], ["limit", "forgetMs"]),
  purge: new RedisScript("purge", ["statusIndex"], ["queue", "finishedBefore", "limit", "budget"]),
  cancel: new RedisScript("cancel", job, ["jobId"]),
  retry: new RedisScript("retry", job, ["jobId"]),
  retryAllFailed: new RedisScript("retry-all-failed", ["failedIndex"], ["queue", "limit", "budget"]),
  remove: new RedisScript("remove", job, ["jobId"]),
  migrateQueuedIndex: new RedisScript("migrate-queued-index", ["oldIndex"], ["limit"]),
  get: new RedisScript("get", ["anchor"], ["jobId", "timelineLimit"]),
  getJobs: new RedisScript("get-jobs", ["anchor"], []),
  addChildren: new RedisScript("add-children", ["job", "idempotency"], ["jobId", "token", "count"]),
  list: new RedisScript("list", ["anchor"], ["limit", "cursor", "budget", "status", "queue", "task", "project", "user", "schedule"]),
  stats: new RedisScript("stats", ["queues", "counts", "paused"], []),
  finishesPerMinute: new RedisScript("finishes-per-minute", ["queues"], ["firstMinute"]),
  registerWorker: new RedisScript("register-worker", ["workers", "workerBeats"], ["name", "incarnation", "info", "stallLimit"]),
  heartbeatWorker: new RedisScript("heartbeat-worker", ["workers", "workerBeats"], ["name", "incarnation", "info"]),
  unregisterWorker: new RedisScript("unregister-worker", ["workers", "workerBeats"], ["name", "incarnation"]),
  upsertSchedule: new RedisScript("upsert-schedule", ["schedule", "schedules", "due"], ["scheduleId", "definitionText", "timingText", "at", "nextFireAt"]),
  listSchedules: new RedisScript("list-schedules", ["schedules"], ["limit", "cursor"]),
  removeSchedule: new RedisScript("remove-schedule", ["schedule", "schedules", "due"], ["scheduleId"]),
  pauseSchedule: new RedisScript("pause-schedule", ["schedule", "due"], ["scheduleId"]),
  resumeSchedule: new RedisScript("resume-schedule", ["schedule", "due"], ["scheduleId", "at", "nextFireAt", "expectedTimingText"]),
  fireSchedule: new RedisScript("fire-schedule", ["schedule", "due", "idempotency"], ["scheduleId", "expectedNextFireAt", "expectedDefinitionText", "lastFireAt", "nextFireAt", "overlap", "count"]),
  triggerSchedule: new RedisScript("trigger-schedule", ["schedule", "idempotency"], ["scheduleId"]),
  upsertLimit: new RedisScript("upsert-limit", ["limits"], ["name", "key", "source", "settings"]),
  removeLimit: new RedisScript("remove-limit", ["limits"], ["name", "key"]),
  getLimit: new RedisScript("get-limit", ["limits"], ["name", "key"]),
  listLimits: new RedisScript("list-limits", ["index"], ["after", "limit", "budget"]),
  jobPlace: new RedisScript("job-place", job, ["jobId", "bound"]),
};
