// The rules every job follows, in one place: name patterns, size bounds, defaults and retention.
// The client, the configuration, the worker options, the HTTP schemas and the stores' packed
// encodings read them from here, so a bound or a default changes in one line.
import type { BackoffPolicy } from "./job.js";
import type { JsonLimits } from "./json.js";

/** Task names: letters, digits, `_ . : -`, starting with a letter or digit, at most 128. */
export const TASK_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$";
/** Queue names: the same alphabet as task names, at most 64 (they appear in store keys). */
export const QUEUE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$";

const TASK_NAME = new RegExp(TASK_NAME_PATTERN);
const QUEUE_NAME = new RegExp(QUEUE_NAME_PATTERN);

/** True when `name` is a well-formed task name. */
export function isValidTaskName(name: string): boolean {
  return TASK_NAME.test(name);
}

/** True when `name` is a well-formed queue name. */
export function isValidQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

const DAY_SECONDS = 86_400;

/** Bounds of a job's options and of the calls that carry jobs; every check names one of these. */
export const JOB_BOUNDS = {
  maxAttempts: 1000,
  maxTimeoutMs: 7 * DAY_SECONDS * 1000,
  /** Retention of results and failures: up to 10 years. */
  maxTtlSeconds: 10 * 365 * DAY_SECONDS,
  /** The furthest a job may be put off: a delay, a run time, a retry's backoff (10 years). */
  maxDelayMs: 10 * 365 * DAY_SECONDS * 1000,
  /** Idempotency keys, project and user ids, cursors and job ids on the wire. */
  maxKeyLength: 256,
  /** Top-level fields of a job's meta object. */
  maxMetaProperties: 64,
  /** Largest page a listing returns. */
  maxListLimit: 500,
  /**
   * Most jobs one enqueueMany call takes. A batch is one atomic store operation, and on Redis one
   * script that every other client waits for: 10,000 jobs hold it for about 0.1–0.2 s.
   */
  maxEnqueueBatch: 10_000,
  /** Most jobs one job may depend on (a batch's callback depends on every member). */
  maxDependencies: 10_000,
  /**
   * Most jobs of one flow or batch, and of one fan-out call: a cancel or a retry of the whole
   * is one atomic store operation, bounded by this.
   */
  maxFlowJobs: 10_000,
  /** Deepest flow tree (levels of children below the root). */
  maxFlowDepth: 32,
  /** Most limits one job is under (decision 0023). */
  maxLimitsPerJob: 4,
  /** Most times a task may postpone its job with RetryAfter before the job fails. */
  maxPostponements: 100,
  /** Most payload bytes one enqueueMany call takes (64 MiB), for the same reason. */
  maxEnqueueBatchBytes: 64 * 1024 * 1024,
  /** Worker names (they appear in store keys and in every job a worker runs). */
  maxWorkerNameLength: 128,
  maxConcurrency: 1000,
} as const;

/** Bounds of schedules (core/schedule.ts). */
export const SCHEDULE_BOUNDS = {
  /** Schedule ids: the task-name alphabet, at most 128 (they appear in idempotency keys and store keys). */
  idPattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$",
  /** The shortest `every`. */
  minEveryMs: 1000,
  /** The longest `every` (one year). */
  maxEveryMs: 366 * DAY_SECONDS * 1000,
  /**
   * A fire time a tick sees less than this late is on time and fires whatever `catchUp` says;
   * older ones were missed while nothing ran, and `catchUp` decides. Ticks run every second in
   * every worker and server, so only an outage of every process makes a fire this late.
   */
  misfireGraceMs: 30_000,
  /** The most missed fires a `{ backfill }` catch-up replays. */
  maxBackfill: 1000,
  /** Most schedules one maintenance tick fires; the rest wait for the next tick. */
  maxFiresPerTick: 100,
  /** Largest page of a schedule listing. */
  maxListLimit: 500,
} as const;

/** 1 MiB and 32 levels: generous for job arguments, small enough to keep stores healthy. */
export const PAYLOAD_JSON_LIMITS: JsonLimits = { maxBytes: 1024 * 1024, maxDepth: 32 };
/** A job's meta: small, shallow, filterable. */
export const META_JSON_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 8 };

/** The default retry policy: 1 s, 2 s, 4 s … capped at one hour, with 20% jitter. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 3_600_000, factor: 2, jitter: 0.2 };

/**
 * What a job gets when neither its task nor its enqueue call says otherwise: queue "default",
 * 10 min timeout, 3 attempts, results kept 24 h and failures 7 days (the RQ setup's TTLs).
 * The Redis store packs waiting jobs that carry exactly these values into a shorter entry.
 */
export const JOB_DEFAULTS = {
  queue: "default",
  timeoutMs: 10 * 60_000,
  maxAttempts: 3,
  backoff: DEFAULT_BACKOFF,
  retryOnTimeout: false,
  resultTtlSeconds: DAY_SECONDS,
  failureTtlSeconds: 7 * DAY_SECONDS,
} as const;
