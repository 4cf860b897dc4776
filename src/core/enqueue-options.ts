// A job about to be stored: the enqueue options a caller may give, the defaults that fill the
// rest, and the checks every new job passes before any store sees it (core/job-rules.ts bounds).
import { backoffProblems } from "./backoff.js";
import { InvalidOptionsError } from "./errors.js";
import { newJobId } from "./ids.js";
import { DEPENDENCY_FAILURE_POLICIES, type BackoffPolicy, type DependencyFailurePolicy, type JobMeta, type Json, type NewJob } from "./job.js";
import { DEFAULT_BACKOFF, JOB_BOUNDS, JOB_DEFAULTS, META_JSON_LIMITS, isValidQueueName } from "./job-rules.js";
import { encodeJson, type JsonLimits } from "./json.js";
import { FIRE_KEY_PREFIX } from "./schedule.js";
import { limitKeysOf } from "./limits.js";
import type { TaskOptions } from "./task.js";
import { traceMetaProblem } from "./tracing.js";

/** Options of one enqueue; each overrides the task's own option of the same name. */
export interface EnqueueOptions {
  queue?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoff?: Partial<NewJob["backoff"]>;
  retryOnTimeout?: boolean;
  /** Run no earlier than this many ms from now (store clock). */
  delayMs?: number;
  /** Run no earlier than this time. */
  runAt?: Date | number;
  /** A second enqueue with the same key returns the first job and stores nothing. */
  idempotencyKey?: string;
  meta?: JobMeta;
  resultTtlSeconds?: number;
  failureTtlSeconds?: number;
  /**
   * Ids of jobs this one waits for: it is stored DEFERRED and queued, exactly once, by the
   * settlement of the last of them (decision 0018). Each must exist (DEPENDENCY_NOT_FOUND).
   */
  dependsOn?: readonly string[];
  /** What a FAILED or CANCELED dependency does to it: `fail` (default), `cancel`, or `run` anyway. */
  onDependencyFailure?: DependencyFailurePolicy;
  /**
   * Limit keys by limit name, e.g. `{ "per-project": "42" }`: replace the keys the task's
   * declared limits derive from the job, or put it under a limit its task does not declare.
   */
  limitKeys?: Readonly<Record<string, string>>;
  /**
   * The application's own connection, inside a transaction it has open (PostgreSQL: a
   * `pg.Client` or `pg.PoolClient` after `BEGIN`): the job is stored in that transaction and
   * exists if and only if it commits. Opaque to Caudex; other stores refuse it (INVALID_OPTIONS).
   */
  tx?: unknown;
}

/** Defaults applied when neither the task nor the enqueue call says otherwise. */
export interface ClientDefaults {
  queue: string;
  timeoutMs: number;
  maxAttempts: number;
  resultTtlSeconds: number;
  failureTtlSeconds: number;
}

/** The job rules' defaults (core/job-rules.ts); a deployment may change the queue, timeout, attempts and retention. */
export const DEFAULT_CLIENT_DEFAULTS: ClientDefaults = {
  queue: JOB_DEFAULTS.queue,
  timeoutMs: JOB_DEFAULTS.timeoutMs,
  maxAttempts: JOB_DEFAULTS.maxAttempts,
  resultTtlSeconds: JOB_DEFAULTS.resultTtlSeconds,
  failureTtlSeconds: JOB_DEFAULTS.failureTtlSeconds,
};

/** What `buildNewJob` starts from: a checked task name, its options, and the caller's choices. */
export interface NewJobInput {
  task: string;
  taskOptions: TaskOptions;
  payload: unknown;
  options: EnqueueOptions;
  defaults: ClientDefaults;
  jsonLimits: JsonLimits;
  /** Store it PENDING, to be queued later. */
  hold: boolean;
}

/** The job to store, with every option resolved (enqueue's, then the task's, then the defaults); throws INVALID_OPTIONS or INVALID_PAYLOAD. */
export function buildNewJob(input: NewJobInput): NewJob {
  const { options, taskOptions, defaults } = input;
  const payloadText = encodeJson(input.payload, "Payload", input.jsonLimits);
  const meta = options.meta ?? {};
  const metaText = options.meta === undefined ? "{}" : encodeJson(meta, "Meta", META_JSON_LIMITS);
  const job: NewJob = {
    id: newJobId(),
    freshId: true,
    task: input.task,
    payload: input.payload as Json,
    payloadText,
    queue: options.queue ?? taskOptions.queue ?? defaults.queue,
    maxAttempts: options.maxAttempts ?? taskOptions.maxAttempts ?? defaults.maxAttempts,
    timeoutMs: options.timeoutMs ?? taskOptions.timeoutMs ?? defaults.timeoutMs,
    backoff: backoffOf(taskOptions.backoff, options.backoff),
    retryOnTimeout: options.retryOnTimeout ?? taskOptions.retryOnTimeout ?? JOB_DEFAULTS.retryOnTimeout,
    meta,
    metaText,
    idempotencyKey: options.idempotencyKey ?? null,
    resultTtlSeconds: options.resultTtlSeconds ?? taskOptions.resultTtlSeconds ?? defaults.resultTtlSeconds,
    failureTtlSeconds: options.failureTtlSeconds ?? taskOptions.failureTtlSeconds ?? defaults.failureTtlSeconds,
    hold: input.hold,
    delayMs: options.delayMs ?? null,
    runAt: options.runAt === undefined ? null : typeof options.runAt === "number" ? options.runAt : options.runAt.getTime(),
  };
  if (options.dependsOn !== undefined && options.dependsOn.length > 0) job.dependsOn = Array.isArray(options.dependsOn) ? [...new Set(options.dependsOn)] : options.dependsOn;
  if (options.onDependencyFailure !== undefined) job.onDependencyFailure = options.onDependencyFailure;
  if (taskOptions.limits !== undefined || options.limitKeys !== undefined) {
    if (options.limitKeys !== undefined && (options.limitKeys === null || typeof options.limitKeys !== "object" || Array.isArray(options.limitKeys)))
      throw new InvalidOptionsError("limitKeys must be an object of limit name to key");
    const keys = limitKeysOf(taskOptions.limits, input.payload, meta, options.limitKeys);
    if (keys.length > 0) job.limitKeys = keys;
  }
  const problems = newJobProblems(job);
  if (problems.length > 0) throw new InvalidOptionsError(`Invalid enqueue options: ${problems.join("; ")}`);
  return job;
}

function isCount(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/** Checks a job's options; returns the problems found. */
export function newJobProblems(job: NewJob): string[] {
  const problems: string[] = [];
  if (!isValidQueueName(job.queue)) problems.push(`queue "${job.queue}" is not a valid name (letters, digits, _ . : -)`);
  const bounds = JOB_BOUNDS;
  if (!isCount(job.maxAttempts, 1, bounds.maxAttempts)) problems.push(`maxAttempts must be an integer from 1 to ${bounds.maxAttempts}`);
  if (!isCount(job.timeoutMs, 1, bounds.maxTimeoutMs)) problems.push("timeoutMs must be an integer from 1 ms to 7 days");
  if (!isCount(job.resultTtlSeconds, 0, bounds.maxTtlSeconds)) problems.push("resultTtlSeconds must be a non-negative integer of at most 10 years");
  if (!isCount(job.failureTtlSeconds, 0, bounds.maxTtlSeconds)) problems.push("failureTtlSeconds must be a non-negative integer of at most 10 years");
  if (job.delayMs !== null && !isCount(job.delayMs, 0, bounds.maxDelayMs)) problems.push("delayMs must be an integer from 0 to 10 years");
  if (job.runAt !== null && !(Number.isFinite(job.runAt) && job.runAt >= 0 && job.runAt <= Date.now() + bounds.maxDelayMs))
    problems.push("runAt must be a time from 1970 to 10 years from now");
  if (job.delayMs !== null && job.runAt !== null) problems.push("give delayMs or runAt, not both");
  if (typeof job.retryOnTimeout !== "boolean") problems.push("retryOnTimeout must be true or false");
  if (job.idempotencyKey !== null && (typeof job.idempotencyKey !== "string" || job.idempotencyKey.length === 0 || job.idempotencyKey.length > JOB_BOUNDS.maxKeyLength))
    problems.push(`idempotencyKey must be 1 to ${JOB_BOUNDS.maxKeyLength} characters`);
  // Fires of schedules use these keys: a caller's job under one would silently stand in for a fire.
  else if (job.idempotencyKey?.startsWith(FIRE_KEY_PREFIX) === true && job.schedule === undefined)
    problems.push(`idempotencyKey must not start with "${FIRE_KEY_PREFIX}" (kept for schedule fires)`);
  for (const key of ["projectId", "userId"] as const) {
    const value = job.meta[key];
    if (value !== undefined && (typeof value !== "string" || value.length > JOB_BOUNDS.maxKeyLength))
      problems.push(`meta.${key} must be a string of at most ${JOB_BOUNDS.maxKeyLength} characters`);
  }
  const traceProblem = traceMetaProblem(job.meta);
  if (traceProblem !== null) problems.push(traceProblem);
  problems.push(...backoffProblems(job.backoff));
  problems.push(...dependencyProblems(job));
  return problems;
}

/** Checks a job's dependency options. */
function dependencyProblems(job: NewJob): string[] {
  const problems: string[] = [];
  const deps = job.dependsOn;
  if (deps !== undefined) {
    if (!Array.isArray(deps)) problems.push("dependsOn must be an array of job ids");
    else {
      if (deps.length > JOB_BOUNDS.maxDependencies) problems.push(`dependsOn holds at most ${JOB_BOUNDS.maxDependencies} job ids`);
      if (deps.some((id) => typeof id !== "string" || id.length === 0 || id.length > JOB_BOUNDS.maxKeyLength))
        problems.push(`dependsOn must hold job ids of 1 to ${JOB_BOUNDS.maxKeyLength} characters`);
      if (deps.includes(job.id)) problems.push("a job cannot depend on itself");
      if (deps.length > 0 && job.hold) problems.push("a held (PENDING) job cannot have dependencies: it is released by them");
    }
  }
  if (job.onDependencyFailure !== undefined && !DEPENDENCY_FAILURE_POLICIES.includes(job.onDependencyFailure))
    problems.push(`onDependencyFailure must be one of ${DEPENDENCY_FAILURE_POLICIES.join(", ")}`);
  return problems;
}

/** The backoff of a job: the task's, then the enqueue's settings over the defaults. */
function backoffOf(fromTask: Partial<BackoffPolicy> | undefined, fromOptions: Partial<BackoffPolicy> | undefined): BackoffPolicy {
  if (fromTask === undefined && fromOptions === undefined) return { ...DEFAULT_BACKOFF };
  return { ...DEFAULT_BACKOFF, ...stripUndefined(fromTask ?? {}), ...stripUndefined(fromOptions ?? {}) };
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
