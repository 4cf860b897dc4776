// The producer's and operator's API: enqueue, inspect, cancel, retry, wait, stats, events.
// The one facade on a store for every edge (library, HTTP server, CLI, dashboard): it validates
// and fills in defaults once, then delegates every change to the store in one call.
import { CaudexError, InvalidOptionsError, JobNotFoundError } from "./errors.js";
import type { JobEvent, JobEventType } from "./events.js";
import { DEFAULT_CLIENT_DEFAULTS, buildNewJob, stripUndefined, type ClientDefaults, type EnqueueOptions, type NewJobInput } from "./enqueue-options.js";
import type { DependencyOutcome, Job, JobFilter, JobPage, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "./job.js";
import { isFinal } from "./job-states.js";
import type { JsonLimits } from "./json.js";
import { JOB_BOUNDS, PAYLOAD_JSON_LIMITS, isValidTaskName } from "./job-rules.js";
import type { EnqueueResult, EventWatchOptions, PurgeRequest, Store, StoreHealth } from "./store.js";
import { LIVE_WORKER_WINDOW_MS } from "./worker-registry.js";
import { RemoteWorkers } from "./remote-workers.js";
import { Schedules } from "./schedules.js";
import { Limits } from "./limit-control.js";
import { Explainer, workerReasons, type ExplainReason, type Explanation } from "./explain.js";
import { Flows, type BatchRequest, type BatchState, type FlowJob, type FlowResult, type JobTree } from "./flows.js";
import { TaskRegistry, validatePayload, type TaskDefinition } from "./task.js";
import { enqueueTraced } from "./tracing.js";
import { asJobOf, type JobOf } from "./typed-job.js";

/** Options of a client. */
export interface ClientOptions {
  store: Store;
  /** Known tasks: enqueue validates names and payload schemas against them when given. */
  tasks?: TaskRegistry | readonly TaskDefinition<never, unknown>[];
  defaults?: Partial<ClientDefaults>;
  jsonLimits?: JsonLimits;
}

type TaskRef<P> = TaskDefinition<P, unknown> | string;

/** How long `wait` waits, and what may stop it early. */
export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What `purgeFinished` deletes: finished jobs of one status, optionally one queue, finished at least `olderThanMs` ago. */
export interface PurgeOptions {
  status: PurgeRequest["status"];
  queue?: string;
  olderThanMs?: number;
}

// How old the registry read behind enqueue warnings may be.
const WARNING_WORKERS_MAX_AGE_MS = 1000;

// Batch size of the bounded loops (retry all, purge): each batch is one short store operation.
const BATCH = 500;

/** Talks to a store on behalf of producers and operators. */
export class Client {
  private readonly store: Store;
  readonly tasks: TaskRegistry | null;
  /** Schedules: upsert, get, list, pause, resume, remove, trigger, next fire times. */
  readonly schedules: Schedules;
  /** The worker protocol for workers outside this process (over HTTP): claim, extendLeases, progress, complete, fail, release. */
  readonly remoteWorkers: RemoteWorkers;
  private readonly defaults: ClientDefaults;
  private readonly jsonLimits: JsonLimits;
  private readonly flows: Flows;
  /** Per-key limits: a key's running and waiting jobs, settings an operator changes at run time (decision 0023). */
  readonly limits: Limits;
  private readonly explainer: Explainer;
  // The live workers enqueue warnings were last computed from, and when (Date.now()): one
  // registry read a second at most, however many jobs are enqueued.
  private warningWorkers: { at: number; workers: Promise<WorkerInfo[]> } | null = null;

  constructor(options: ClientOptions) {
    this.store = options.store;
    this.tasks =
      options.tasks === undefined
        ? null
        : options.tasks instanceof TaskRegistry
          ? options.tasks
          : new TaskRegistry(options.tasks);
    this.defaults = { ...DEFAULT_CLIENT_DEFAULTS, ...stripUndefined(options.defaults ?? {}) };
    this.jsonLimits = options.jsonLimits ?? PAYLOAD_JSON_LIMITS;
    this.schedules = new Schedules(this.store, { defaults: this.defaults, jsonLimits: this.jsonLimits, tasks: this.tasks });
    this.remoteWorkers = new RemoteWorkers(this.store);
    this.limits = new Limits(this.store);
    this.explainer = new Explainer(this.store, this.limits);
    this.flows = new Flows(this.store, (task, payload, options) => {
      // A job of a flow stored outside the flow's transaction would break its all-or-nothing.
      if (options.tx !== undefined) throw new InvalidOptionsError("The jobs of a flow take no tx of their own: give it to enqueueFlow(root, { tx })");
      return this.prepare(task as TaskRef<unknown>, payload, options, false);
    });
  }

  /**
   * Stores a tree of jobs in one atomic operation: each parent runs after its children (decision
   * 0018). With `tx`, inside the application's own transaction, as `enqueue` does.
   */
  enqueueFlow(root: FlowJob, options: { tx?: unknown } = {}): Promise<FlowResult> {
    try {
      return this.flows.enqueueFlow(root, this.sender(options.tx));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stores jobs and a callback that runs once when all are final (`on: "always"`) or all completed (`on: "success"`). */
  enqueueBatch(request: BatchRequest): Promise<{ batch: BatchState; jobs: Job[] }> {
    return this.flows.enqueueBatch(request);
  }

  /** A batch's counts and its callback; JOB_NOT_FOUND when there is none. */
  getBatch(batchId: string): Promise<BatchState> {
    return this.flows.getBatch(batchId);
  }

  /** The whole flow a job belongs to, from its root (at most 1,000 jobs). */
  jobTree(jobId: string): Promise<JobTree> {
    return this.flows.tree(jobId);
  }

  /** How a job's dependencies ended (or stand now), in its dependsOn order. */
  dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]> {
    return this.store.dependencyOutcomes(jobId);
  }

  /** Stores a job and returns it (QUEUED, or SCHEDULED when delayed); given a definition, typed by its result. */
  enqueue<P, R>(task: TaskDefinition<P, R>, payload: P, options?: EnqueueOptions): Promise<JobOf<R>>;
  enqueue<P>(task: TaskRef<P>, payload: P, options?: EnqueueOptions): Promise<Job>;
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

  /** Stores up to JOB_BOUNDS.maxEnqueueBatch jobs (JOB_BOUNDS.maxEnqueueBatchBytes of payloads) in one atomic store operation; all are valid or none is stored. */
  async enqueueMany<P>(
    items: ReadonlyArray<{ task: TaskRef<P>; payload: P; options?: EnqueueOptions }>,
  ): Promise<Job[]> {
    if (items.length > JOB_BOUNDS.maxEnqueueBatch) {
      throw new InvalidOptionsError(`enqueueMany takes at most ${JOB_BOUNDS.maxEnqueueBatch} jobs per call (got ${items.length}); split the batch`);
    }
    // One store operation, so one transaction: every job names the same tx, or none does.
    const tx = items[0]?.options?.tx;
    if (items.some((item) => item.options?.tx !== tx)) throw new InvalidOptionsError("enqueueMany stores its jobs in one transaction: give every job the same tx, or none");
    const send = this.sender(tx);
    const prepared: NewJob[] = [];
    let chars = 0;
    for (const item of items) {
      const job = this.prepare(item.task, item.payload, item.options ?? {}, false);
      const ready = job instanceof Promise ? await job : job;
      chars += ready.payloadText.length;
      prepared.push(ready);
    }
    // Counted in bytes only when the characters could be too many (a character is 1 to 3 bytes).
    if (chars * 3 > JOB_BOUNDS.maxEnqueueBatchBytes) {
      const bytes = prepared.reduce((sum, job) => sum + Buffer.byteLength(job.payloadText), 0);
      if (bytes > JOB_BOUNDS.maxEnqueueBatchBytes) throw new InvalidOptionsError(`enqueueMany takes at most ${JOB_BOUNDS.maxEnqueueBatchBytes} bytes of payloads per call (got ${bytes}); split the batch`);
    }
    const results = await enqueueTraced(send, prepared);
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

  /** The job, or null; given its task's definition, typed by its result (INVALID_OPTIONS when it is another task's job). */
  getJob<R>(jobId: string, task: TaskDefinition<never, R>): Promise<JobOf<R> | null>;
  getJob(jobId: string): Promise<Job | null>;
  getJob(jobId: string, task?: TaskDefinition<never, unknown>): Promise<Job | null> {
    if (task === undefined) return this.store.getJob(jobId);
    return this.store.getJob(jobId).then((job) => (job === null ? null : (asJobOf(job, task) as Job)));
  }

  /** Like `getJob`, but throws JOB_NOT_FOUND for an unknown id. */
  async requireJob(jobId: string): Promise<Job> {
    const job = await this.store.getJob(jobId);
    if (job === null) throw new JobNotFoundError(jobId);
    return job;
  }

  /** Lists jobs newest first; `limit` is capped at JOB_BOUNDS.maxListLimit. */
  listJobs(filter: JobFilter = {}, page: { limit?: number; cursor?: string | null } = {}): Promise<JobPage> {
    const limit = Math.max(1, Math.min(JOB_BOUNDS.maxListLimit, Math.floor(page.limit ?? 50)));
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
  retryAllFailed(queue: string | null = null, onProgress?: (count: number) => void): Promise<number> {
    return inBatches((limit) => this.store.retryAllFailed(queue, limit), onProgress);
  }

  /** Deletes finished jobs of one status (optionally one queue, finished long enough ago) in bounded batches; returns how many. */
  async purgeFinished(options: PurgeOptions, onProgress?: (count: number) => void): Promise<number> {
    const finishedBefore = (await this.store.now()) - (options.olderThanMs ?? 0);
    const queue = options.queue === undefined ? {} : { queue: options.queue };
    return inBatches((limit) => this.store.purge({ status: options.status, finishedBefore, limit, ...queue }), onProgress);
  }

  /** Resolves with the job once it is COMPLETED, FAILED or CANCELED; typed by its task's result when given a typed job or `task`. */
  wait<R>(job: JobOf<R>, options?: WaitOptions): Promise<JobOf<R>>;
  wait<R>(jobId: string, options: WaitOptions & { task: TaskDefinition<never, R> }): Promise<JobOf<R>>;
  wait(jobId: string, options?: WaitOptions): Promise<Job>;
  async wait(target: string | { id: string }, options: WaitOptions & { task?: TaskDefinition<never, unknown> } = {}): Promise<Job> {
    const jobId = typeof target === "string" ? target : target.id;
    const job = await this.waitFinal(jobId, options);
    return options.task === undefined ? job : (asJobOf(job, options.task) as Job);
  }

  private async waitFinal(jobId: string, options: WaitOptions): Promise<Job> {
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

  /** Short name of the store, e.g. "sqlite" or "redis". */
  get storeKind(): string {
    return this.store.kind;
  }

  /** The store's notion of now (on Redis, the server's clock), in ms since the epoch. */
  now(): Promise<number> {
    return this.store.now();
  }

  /** Whether the store answers, and its settings that risk data. */
  storeHealth(): Promise<StoreHealth> {
    return this.store.health();
  }

  /** Jobs completed and failed for good per queue and minute, from the minute holding `since` on. */
  finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    return this.store.finishesPerMinute(since);
  }

  /** Why a job is not running or not finished: its reasons in order (docs/explain.md); JOB_NOT_FOUND for an unknown id. */
  explain(jobId: string): Promise<Explanation> {
    return this.explainer.explain(jobId);
  }

  /**
   * Why a job of `task` would not start with the live workers there are (no worker listens on
   * its queue, or none of those runs the task): the warnings of an enqueue. The queue resolves
   * as enqueue resolves it. The registry is read at most once a second.
   */
  async enqueueWarnings(task: string, options: { queue?: string } = {}): Promise<ExplainReason[]> {
    const queue = options.queue ?? this.tasks?.get(task)?.options.queue ?? this.defaults.queue;
    const now = Date.now();
    if (this.warningWorkers === null || now - this.warningWorkers.at >= WARNING_WORKERS_MAX_AGE_MS) {
      const workers = this.store.listWorkers(LIVE_WORKER_WINDOW_MS);
      this.warningWorkers = { at: now, workers };
      // A failed read is not kept: the next call reads again.
      workers.catch(() => {
        if (this.warningWorkers?.workers === workers) this.warningWorkers = null;
      });
    }
    return workerReasons(await this.warningWorkers.workers, queue, task);
  }

  /** Live workers: those whose heartbeat is younger than `ttlMs`. */
  workers(ttlMs = LIVE_WORKER_WINDOW_MS): Promise<WorkerInfo[]> {
    return this.store.listWorkers(ttlMs);
  }

  jobEvents(jobId: string): Promise<JobEvent[]> {
    return this.store.jobEvents(jobId);
  }

  /** Delivers every job event from every process using the store, resuming after `afterSeq` where the store keeps a log; returns an unsubscribe function. */
  watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    return this.store.watch(listener, options);
  }

  /** Subscribes to job events of one type (or "*") from every process using the store. */
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

  /** Signs a dashboard session out for every process on the store, until `expiresAt` (the session's end). */
  revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    return this.store.revokeSession(sessionId, expiresAt);
  }

  /** Whether a dashboard session was signed out (and its revocation has not expired). */
  isSessionRevoked(sessionId: string): Promise<boolean> {
    return this.store.isSessionRevoked(sessionId);
  }

  close(): Promise<void> {
    this.remoteWorkers.close();
    return this.store.close();
  }

  /**
   * Prepares one job and stores it, chained without async layers (a single awaited enqueue is
   * mostly round trip); a problem with the job rejects, it never throws.
   */
  private storeOne<P>(task: TaskRef<P>, payload: P, options: EnqueueOptions, hold: boolean): Promise<EnqueueResult[]> {
    try {
      const send = options.tx === undefined ? this.store : this.sender(options.tx);
      const job = this.prepare(task, payload, options, hold);
      return job instanceof Promise ? job.then((ready) => enqueueTraced(send, [ready])) : enqueueTraced(send, [job]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Where new jobs go: the store, or with `tx` the store's transactional enqueue on it (INVALID_OPTIONS when the store has none). */
  private sender(tx: unknown): Pick<Store, "enqueue"> {
    if (tx === undefined) return this.store;
    const transactional = this.store.transactionalEnqueue;
    if (transactional === undefined) throw new InvalidOptionsError(`transactional enqueue needs the PostgreSQL store (this client's store is ${this.store.kind}): remove tx`);
    return { enqueue: (jobs) => transactional.enqueue(tx, jobs) };
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
      return validatePayload(checked, payload).then(() => buildNewJob(this.newJobInput(name, checked, payload, options, hold)));
    }
    return buildNewJob(this.newJobInput(name, definition, payload, options, hold));
  }

  private newJobInput(task: string, definition: TaskDefinition | undefined, payload: unknown, options: EnqueueOptions, hold: boolean): NewJobInput {
    return { task, taskOptions: definition?.options ?? {}, payload, options, defaults: this.defaults, jsonLimits: this.jsonLimits, hold };
  }
}

/** Runs `step` with a batch limit until a batch comes back short; returns the total. */
async function inBatches(step: (limit: number) => Promise<number>, onProgress?: (count: number) => void): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step(BATCH);
    total += n;
    onProgress?.(total);
    if (n < BATCH) return total;
  }
}

