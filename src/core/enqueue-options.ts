// A job about to be stored: the enqueue options a caller may give, the defaults that fill the
// rest, and the checks every new job passes before any store sees it (core/job-rules.ts bounds).
import { backoffProblems } from "./backoff.js";
import { InvalidOptionsError } from "./errors.js";
import { newJobId } from "./ids.js";
import type { BackoffPolicy, JobMeta, Json, NewJob } from "./job.js";
import { DEFAULT_BACKOFF, JOB_BOUNDS, JOB_DEFAULTS, META_JSON_LIMITS, isValidQueueName } from "./job-rules.js";
import { encodeJson, type JsonLimits } from "./json.js";
import { FIRE_KEY_PREFIX } from "./schedule.js";
import type { TaskOptions } from "./task.js";

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
  problems.push(...backoffProblems(job.backoff));
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
