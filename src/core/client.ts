// The producer's and operator's API: enqueue, inspect, cancel, retry, wait, stats.
// It validates and fills in defaults, then delegates every change to the store in one call.
import { DEFAULT_BACKOFF, MAX_DELAY_MS, backoffProblems } from "./backoff.js";
import { CaudexError, InvalidOptionsError, JobNotFoundError } from "./errors.js";
import type { JobEvent, JobEventType } from "./events.js";
import { newJobId } from "./ids.js";
import type { BackoffPolicy, Job, JobFilter, JobMeta, JobPage, Json, NewJob, QueueStats, WorkerInfo } from "./job.js";
import { isFinal } from "./job-states.js";
import { DEFAULT_JSON_LIMITS, encodeJson, type JsonLimits } from "./json.js";
import type { EnqueueResult, Store } from "./store.js";
import { LIVE_WORKER_WINDOW_MS } from "./worker-registry.js";
import { TaskRegistry, isValidTaskName, validatePayload, type TaskDefinition, type TaskOptions } from "./task.js";

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

/** 10 min timeout, 3 attempts, results kept 24 h and failures 7 days (the RQ setup's TTLs). */
export const DEFAULT_CLIENT_DEFAULTS: ClientDefaults = {
  queue: "default",
  timeoutMs: 10 * 60_000,
  maxAttempts: 3,
  resultTtlSeconds: 24 * 3600,
  failureTtlSeconds: 7 * 24 * 3600,
};

/** Options of a client. */
export interface ClientOptions {
  store: Store;
  /** Known tasks: enqueue validates names and payload schemas against them when given. */
  tasks?: TaskRegistry | readonly TaskDefinition<never, unknown>[];
  defaults?: Partial<ClientDefaults>;
  jsonLimits?: JsonLimits;
}

/** Largest page a listing returns. */
export const MAX_LIST_LIMIT = 500;
/**
 * Most jobs one enqueueMany call takes. A batch is one atomic store operation, and on Redis one
 * script that every other client waits for: 10,000 jobs hold it for about 0.1–0.2 s.
 */
export const MAX_ENQUEUE_BATCH = 10_000;
/** Most payload bytes one enqueueMany call takes (64 MiB), for the same reason. */
export const MAX_ENQUEUE_BATCH_BYTES = 64 * 1024 * 1024;
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const MAX_KEY_LENGTH = 256;

/** True when `name` is a well-formed queue name. */
export function isValidQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

type TaskRef<P> = TaskDefinition<P, unknown> | string;

/** Talks to a store on behalf of producers and operators. */
export class Client {
  readonly store: Store;
  readonly tasks: TaskRegistry | null;
  private readonly defaults: ClientDefaults;
  private readonly jsonLimits: JsonLimits;

  constructor(options: ClientOptions) {
    this.store = options.store;
    this.tasks =
      options.tasks === undefined
        ? null
        : options.tasks instanceof TaskRegistry
          ? options.tasks
          : new TaskRegistry(options.tasks);
    this.defaults = { ...DEFAULT_CLIENT_DEFAULTS, ...stripUndefined(options.defaults ?? {}) };
    this.jsonLimits = options.jsonLimits ?? DEFAULT_JSON_LIMITS;
  }

  /** Stores a job and returns it (QUEUED, or SCHEDULED when delayed). */
  enqueue<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions = {}): Promise<Job> {
    return this.storeOne(task, payload, options, false).then((results) => (results[0] as EnqueueResult).job);
  }

  /** Like `enqueue`, and tells whether the job was created or found by its idempotency key. */
  enqueueWithResult<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    return this.storeOne(task, payload, options, false).then((results) => results[0] as EnqueueResult);
  }

  /** Checks a job as `enqueue` would (task, payload, options) and stores nothing; rejects with the same error. */
  async check<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions = {}): Promise<void> {
    await this.prepare(task, payload, options, false);
  }

  /** Stores up to MAX_ENQUEUE_BATCH jobs (MAX_ENQUEUE_BATCH_BYTES of payloads) in one atomic store operation; all are valid or none is stored. */
  async enqueueMany<P>(
    items: ReadonlyArray<{ task: TaskRef<P>; payload: P; options?: EnqueueOptions }>,
  ): Promise<Job[]> {
    if (items.length > MAX_ENQUEUE_BATCH) {
      throw new InvalidOptionsError(`enqueueMany takes at most ${MAX_ENQUEUE_BATCH} jobs per call (got ${items.length}); split the batch`);
    }
    const prepared: NewJob[] = [];
    let chars = 0;
    for (const item of items) {
      const job = this.prepare(item.task, item.payload, item.options ?? {}, false);
      const ready = job instanceof Promise ? await job : job;
      chars += ready.payloadText.length;
      prepared.push(ready);
    }
    // Counted in bytes only when the characters could be too many (a character is 1 to 3 bytes).
    if (chars * 3 > MAX_ENQUEUE_BATCH_BYTES) {
      const bytes = prepared.reduce((sum, job) => sum + Buffer.byteLength(job.payloadText), 0);
      if (bytes > MAX_ENQUEUE_BATCH_BYTES) throw new InvalidOptionsError(`enqueueMany takes at most ${MAX_ENQUEUE_BATCH_BYTES} bytes of payloads per call (got ${bytes}); split the batch`);
    }
    const results = await this.store.enqueue(prepared);
    return results.map((r) => r.job);
  }

  /** Creates a job record in PENDING; it runs only after `enqueuePending(id)`. */
  create<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions = {}): Promise<Job> {
    return this.storeOne(task, payload, options, true).then((results) => (results[0] as EnqueueResult).job);
  }

  /** Queues a job created with `create`. */
  enqueuePending(jobId: string): Promise<Job> {
    return this.store.enqueuePending(jobId);
  }

  getJob(jobId: string): Promise<Job | null> {
    return this.store.getJob(jobId);
  }

  /** Like `getJob`, but throws JOB_NOT_FOUND for an unknown id. */
  async requireJob(jobId: string): Promise<Job> {
    const job = await this.store.getJob(jobId);
    if (job === null) throw new JobNotFoundError(jobId);
    return job;
  }

  /** Lists jobs newest first; `limit` is capped at MAX_LIST_LIMIT. */
  listJobs(filter: JobFilter = {}, page: { limit?: number; cursor?: string | null } = {}): Promise<JobPage> {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(page.limit ?? 50)));
    return this.store.listJobs(filter, limit, page.cursor ?? null);
  }

  cancel(jobId: string): Promise<Job> {
    return this.store.cancel(jobId);
  }

  retry(jobId: string): Promise<Job> {
    return this.store.retry(jobId);
  }

  remove(jobId: string): Promise<void> {
    return this.store.remove(jobId);
  }

  /** Retries every FAILED job (optionally of one queue), in bounded batches; returns how many. */
  async retryAllFailed(queue: string | null = null, onProgress?: (count: number) => void): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.store.retryAllFailed(queue, 500);
      total += n;
      onProgress?.(total);
      if (n < 500) return total;
    }
  }

  /** Resolves with the job once it is COMPLETED, FAILED or CANCELED. */
  async wait(jobId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Job> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let delay = 5;
    for (;;) {
      const job = await this.requireJob(jobId);
      if (isFinal(job.status)) return job;
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (Date.now() + delay > deadline) {
        throw new CaudexError("WAIT_TIMEOUT", `Job ${jobId} did not finish within ${options.timeoutMs} ms (it is ${job.status})`, {
          details: { jobId, status: job.status },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(250, delay * 2);
    }
  }

  stats(): Promise<QueueStats[]> {
    return this.store.stats();
  }

  /** Live workers: those whose heartbeat is younger than `ttlMs`. */
  workers(ttlMs = LIVE_WORKER_WINDOW_MS): Promise<WorkerInfo[]> {
    return this.store.listWorkers(ttlMs);
  }

  jobEvents(jobId: string): Promise<JobEvent[]> {
    return this.store.jobEvents(jobId);
  }

  /** Subscribes to job events from every process using the store. */
  on(
    type: JobEventType | "*",
    listener: (event: JobEvent) => void,
  ): Promise<() => Promise<void>> {
    return this.store.watch((event) => {
      if (type === "*" || event.type === type) listener(event);
    });
  }

  pauseQueue(queue: string): Promise<void> {
    return this.store.pauseQueue(queue);
  }

  resumeQueue(queue: string): Promise<void> {
    return this.store.resumeQueue(queue);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * Prepares one job and stores it, chained without async layers (a single awaited enqueue is
   * mostly round trip); a problem with the job rejects, it never throws.
   */
  private storeOne<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions, hold: boolean): Promise<EnqueueResult[]> {
    try {
      const job = this.prepare(task, payload, options, hold);
      return job instanceof Promise ? job.then((ready) => this.store.enqueue([ready])) : this.store.enqueue([job]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The job to store; a promise only when the task's schema has to check the payload first. */
  private prepare<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions, hold: boolean): NewJob | Promise<NewJob> {
    const name = typeof task === "string" ? task : task.name;
    if (!isValidTaskName(name)) throw new InvalidOptionsError(`Invalid task name "${name}"`);
    let definition: TaskDefinition | undefined =
      typeof task === "string" ? undefined : (task as unknown as TaskDefinition);
    if (this.tasks !== null) definition = this.tasks.require(name);
    if (definition?.options.schema !== undefined) {
      const checked = definition;
      return validatePayload(checked, payload).then(() => this.build(name, checked, payload, options, hold));
    }
    return this.build(name, definition, payload, options, hold);
  }

  private build<P>(name: string, definition: TaskDefinition | undefined, payload: P, options: EnqueueOptions, hold: boolean): NewJob {
    const taskOptions: TaskOptions = definition?.options ?? {};
    const payloadText = encodeJson(payload, "Payload", this.jsonLimits);
    const meta = options.meta ?? {};
    const metaText = options.meta === undefined ? "{}" : encodeJson(meta, "Meta", META_JSON_LIMITS);
    const job: NewJob = {
      id: newJobId(),
      freshId: true,
      task: name,
      payload: payload as Json,
      payloadText,
      queue: options.queue ?? taskOptions.queue ?? this.defaults.queue,
      maxAttempts: options.maxAttempts ?? taskOptions.maxAttempts ?? this.defaults.maxAttempts,
      timeoutMs: options.timeoutMs ?? taskOptions.timeoutMs ?? this.defaults.timeoutMs,
      backoff: backoffOf(taskOptions.backoff, options.backoff),
      retryOnTimeout: options.retryOnTimeout ?? taskOptions.retryOnTimeout ?? false,
      meta,
      metaText,
      idempotencyKey: options.idempotencyKey ?? null,
      resultTtlSeconds: options.resultTtlSeconds ?? taskOptions.resultTtlSeconds ?? this.defaults.resultTtlSeconds,
      failureTtlSeconds: options.failureTtlSeconds ?? taskOptions.failureTtlSeconds ?? this.defaults.failureTtlSeconds,
      hold,
      delayMs: options.delayMs ?? null,
      runAt: options.runAt === undefined ? null : typeof options.runAt === "number" ? options.runAt : options.runAt.getTime(),
    };
    const problems = newJobProblems(job);
    if (problems.length > 0) throw new InvalidOptionsError(`Invalid enqueue options: ${problems.join("; ")}`);
    return job;
  }
}

function isCount(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/** Checks a job's options; returns the problems found. */
export function newJobProblems(job: NewJob): string[] {
  const problems: string[] = [];
  if (!isValidQueueName(job.queue)) problems.push(`queue "${job.queue}" is not a valid name (letters, digits, _ . : -)`);
  if (!isCount(job.maxAttempts, 1, 1000)) problems.push("maxAttempts must be an integer from 1 to 1000");
  if (!isCount(job.timeoutMs, 1, 7 * 24 * 3600_000)) problems.push("timeoutMs must be an integer from 1 ms to 7 days");
  if (!isCount(job.resultTtlSeconds, 0, 10 * 365 * 86400)) problems.push("resultTtlSeconds must be a non-negative integer");
  if (!isCount(job.failureTtlSeconds, 0, 10 * 365 * 86400)) problems.push("failureTtlSeconds must be a non-negative integer");
  if (job.delayMs !== null && !isCount(job.delayMs, 0, MAX_DELAY_MS)) problems.push("delayMs must be an integer from 0 to 10 years");
  if (job.runAt !== null && !(Number.isFinite(job.runAt) && job.runAt >= 0 && job.runAt <= Date.now() + MAX_DELAY_MS))
    problems.push("runAt must be a time from 1970 to 10 years from now");
  if (job.delayMs !== null && job.runAt !== null) problems.push("give delayMs or runAt, not both");
  if (typeof job.retryOnTimeout !== "boolean") problems.push("retryOnTimeout must be true or false");
  if (job.idempotencyKey !== null && (typeof job.idempotencyKey !== "string" || job.idempotencyKey.length === 0 || job.idempotencyKey.length > MAX_KEY_LENGTH))
    problems.push(`idempotencyKey must be 1 to ${MAX_KEY_LENGTH} characters`);
  for (const key of ["projectId", "userId"] as const) {
    const value = job.meta[key];
    if (value !== undefined && (typeof value !== "string" || value.length > MAX_KEY_LENGTH))
      problems.push(`meta.${key} must be a string of at most ${MAX_KEY_LENGTH} characters`);
  }
  problems.push(...backoffProblems(job.backoff));
  return problems;
}

const META_JSON_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 8 };

/** The backoff of a job: the task's, then the enqueue's settings over the defaults. */
function backoffOf(fromTask: Partial<BackoffPolicy> | undefined, fromOptions: Partial<BackoffPolicy> | undefined): BackoffPolicy {
  if (fromTask === undefined && fromOptions === undefined) return { ...DEFAULT_BACKOFF };
  return { ...DEFAULT_BACKOFF, ...stripUndefined(fromTask ?? {}), ...stripUndefined(fromOptions ?? {}) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
