// The Redis store: the store contract on one Redis namespace, for many machines. Every
// transition is one Lua script (scripts.ts) run on the server's clock; this class encodes
// arguments, decodes replies, and maps script statuses to the error catalogue.
import type { Clock } from "../../core/clock.js";
import { HasDependentsError, InvalidTransitionError, JobNotFoundError, LeaseLostError, StoreUnavailableError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, DependencyOutcome, Job, JobFilter, JobPage, Json, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "../../core/job.js";
import { encodeProgress } from "../../core/json.js";
import { silentLogger, type Logger } from "../../core/logger.js";
import type { LimitPage, LimitSetting, LimitUsage } from "../../core/limits.js";
import type { CancelNotices, ClaimRequest, EnqueueResult, EventWatchOptions, FailRequest, JobPlace, Lease, PurgeRequest, RecoverResult, StandingClaims, Store, StoreHealth, UpsertLimitRequest } from "../../core/store.js";
import { WORKER_FORGET_MS } from "../../core/worker-registry.js";
import { WriteRefusals } from "../../core/write-refusals.js";
import { CompletionBatch } from "./completion-batch.js";
import { EventFeed } from "./event-feed.js";
import { decodeJob, enqueueArgs, hashFields } from "./job-hash.js";
import { RedisClaimer } from "./redis-claims.js";
import { RedisLimits } from "./redis-limits.js";
import { checkEnqueued, checkStorable, RedisEnqueuer } from "./redis-enqueue.js";
import { RedisReader, SCAN_BUDGET } from "./redis-reads.js";
import { RedisSchedules } from "./redis-schedules.js";
import { RedisSessions } from "./redis-sessions.js";
import { RedisKeys } from "./keys.js";
import { MAINTENANCE_WINDOW_MS, MaintenanceWindow } from "./maintenance-window.js";
import { memoryHealth, readMemory } from "./redis-memory.js";
import { connectChecked, inspectServer, openConnection, refusesWrites, toStoreError, type RedisConnectionOptions, type ServerReport } from "./redis-connection.js";
import { ScriptStatus, scripts, type RedisConnection, type RedisScript, type RunInput, type ScriptReply, type ScriptRunner } from "./scripts.js";
import { RedisWorkers } from "./redis-workers.js";
import { redisJobPlace } from "./redis-job-place.js";
import { StandHandOffs } from "./stand-hand-offs.js";
import { WorkSignal } from "./work-signal.js";

/** Options of the Redis store. */
export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Keys live under `caudex:{namespace}:`; default "default". */
  namespace?: string;
  /** Tests only: a fake clock passed to scripts. Otherwise the Redis server's TIME decides. */
  clock?: Clock;
  logger?: Logger;
}

/** A Store on one Redis namespace (single server, Sentinel or Cluster). */
export class RedisStore implements Store {
  readonly kind = "redis";
  private readonly signal: WorkSignal;
  private readonly feed: EventFeed;
  private readonly completions: CompletionBatch;
  private closed = false;
  private readonly window: MaintenanceWindow | null;
  private readonly workers: RedisWorkers;
  private readonly enqueuer: RedisEnqueuer;
  private readonly claimer: RedisClaimer;
  private readonly reader: RedisReader;
  private readonly schedules: RedisSchedules;
  private readonly sessions: RedisSessions;
  private readonly limits: RedisLimits;
  // The last write Redis refused (OOM at maxmemory, MISCONF), for health.
  private readonly refusals = new WriteRefusals();
  /** toStoreError, noting writes the server refuses on the way. */
  private readonly mapError = (error: unknown): unknown => {
    if (refusesWrites(error)) this.refusals.note(String((error as Error).message));
    return toStoreError(error);
  };

  private constructor(
    private readonly redis: RedisConnection,
    readonly keys: RedisKeys,
    private readonly report: ServerReport,
    private readonly clock: Clock | undefined,
    log: Logger,
  ) {
    this.signal = new WorkSignal(redis, keys.wakeChannel());
    this.feed = new EventFeed(redis, keys, log);
    this.window =
      clock === undefined ? new MaintenanceWindow(async () => (await this.call(() => redis.set(keys.maintenanceTick(), "1", "PX", MAINTENANCE_WINDOW_MS, "NX"))) !== null) : null;
    const run: ScriptRunner = (script, input) => this.run(script, input);
    this.workers = new RedisWorkers({ redis, keys, run, call: (fn) => this.call(fn), now: () => this.now() });
    this.completions = new CompletionBatch((rest) => run(scripts.complete, { keys: { leases: keys.leases() }, argv: {}, rest }));
    this.enqueuer = new RedisEnqueuer(keys, run);
    this.limits = new RedisLimits(keys, run);
    this.reader = new RedisReader(keys, run);
    this.schedules = new RedisSchedules({ redis, keys, run, call: (fn) => this.call(fn), inWindow: async () => this.window === null || this.window.enter() });
    this.sessions = new RedisSessions({ redis, keys, call: (fn) => this.call(fn), now: () => this.now(), testNow: clock === undefined ? null : () => clock.now() });
    this.claimer = new RedisClaimer({ keys, signal: this.signal, completions: this.completions, run, release: (lease) => this.release(lease), log });
    redis.on("error", (error: unknown) => log.debug("redis connection error", { error: String(error) }));
  }

  /** Connects, checks the server (eviction policy, persistence) and returns the store. */
  static async connect(options: RedisStoreOptions = {}): Promise<RedisStore> {
    const keys = new RedisKeys(options.namespace);
    const log = options.logger ?? silentLogger;
    const redis = await connectChecked(openConnection(options));
    let report: ServerReport;
    try {
      report = await inspectServer(redis);
    } catch (error) {
      redis.disconnect();
      throw toStoreError(error);
    }
    for (const warning of report.warnings) log.warn(warning);
    const store = new RedisStore(redis, keys, report, options.clock, log);
    try {
      const moved = await store.migrateQueuedIndex();
      if (moved > 0) log.info(`Moved ${moved} waiting job ids of namespace "${keys.namespace}" from status:QUEUED to the current QUEUED index`);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * Moves the ids of waiting jobs indexed the way earlier builds did (the sorted set
   * `status:QUEUED`) to the current QUEUED index, 1,000 per script call; returns how many.
   */
  private async migrateQueuedIndex(): Promise<number> {
    const oldIndex = this.keys.status("QUEUED");
    const count = await this.call(() => this.redis.zcard(oldIndex));
    for (let left = count; left > 0; ) {
      const reply = await this.run(scripts.migrateQueuedIndex, { keys: { oldIndex }, argv: { limit: 1000 } });
      left = Number(reply.data[0]);
    }
    return count;
  }

  async now(): Promise<number> {
    if (this.clock !== undefined) return this.clock.now();
    const [seconds, micros] = await this.call(() => this.redis.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    return this.enqueuer.enqueue(jobs);
  }

  async enqueuePending(jobId: string): Promise<Job> {
    return this.jobReply(jobId, "enqueue", await this.run(scripts.enqueuePending, { keys: { job: this.keys.job(jobId) }, argv: { jobId } }));
  }

  claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    return this.claimer.claim(request);
  }

  /** Standing claims (decision 0009): an idle worker's next job starts as it is enqueued. */
  /** Cancels of running jobs, published by the cancel script on the worker's channel (decision 0027). */
  readonly cancelNotices: CancelNotices = {
    watchCancels: async (worker, _incarnation, onCancel) => {
      const channel = this.keys.cancelChannel(worker);
      await this.signal.listen(channel, onCancel);
      return () => this.signal.unlisten(channel);
    },
  };

  readonly standingClaims: StandingClaims = {
    claim: (request) => this.claimer.claim({ ...request, stand: true }),
    waitForWork: (queues, timeoutMs, signal, incarnation) => this.signal.wait([...queues, StandHandOffs.wakeKey(incarnation)], this.claimer.waitMs(timeoutMs), signal),
    withdraw: (worker, incarnation) => this.claimer.withdraw(worker, incarnation),
  };

  async extendLeases(_worker: string, leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    if (leases.length === 0) return [];
    const reply = await this.run(scripts.extendLeases, { keys: { leases: this.keys.leases() }, argv: { leaseMs }, rest: leases.flatMap((l) => [l.jobId, l.token]) });
    return reply.data.map(String);
  }

  async complete(lease: Lease, result: Json): Promise<void> {
    if (this.closed) throw new StoreUnavailableError("The Redis store is closed");
    return this.completions.complete(lease, result);
  }

  async fail(request: FailRequest): Promise<Job> {
    const { jobId, token } = request;
    const retryDelayMs = request.retryDelayMs === null ? "" : request.retryDelayMs;
    const postpone = request.postpone === true && request.retryDelayMs !== null ? "1" : "";
    const reply = await this.run(scripts.fail, { keys: { job: this.keys.job(jobId) }, argv: { jobId, token, error: JSON.stringify(request.error), retryDelayMs, postpone } });
    if (reply.status === ScriptStatus.LeaseLost) throw new LeaseLostError(jobId);
    return decodeJob(jobId, hashFields(reply.data[0]));
  }

  async progress(lease: Lease, progress: Json): Promise<void> {
    const reply = await this.run(scripts.progress, { keys: { job: this.keys.job(lease.jobId) }, argv: { jobId: lease.jobId, token: lease.token, progress: encodeProgress(progress) } });
    if (reply.status === ScriptStatus.LeaseLost) throw new LeaseLostError(lease.jobId);
  }

  async release(lease: Lease): Promise<void> {
    const reply = await this.run(scripts.release, { keys: { job: this.keys.job(lease.jobId) }, argv: { jobId: lease.jobId, token: lease.token } });
    if (reply.status === ScriptStatus.LeaseLost) throw new LeaseLostError(lease.jobId);
  }

  /** Coordinated per namespace (see MaintenanceWindow), except with a test clock. */
  async promoteDue(limit: number): Promise<number> {
    if (this.window !== null && !(await this.window.enter())) return 0;
    const k = this.keys;
    const reply = await this.run(scripts.promoteDue, { keys: { scheduled: k.scheduled(), leases: k.leases(), expiry: k.expiry() }, argv: { limit } });
    const [promoted, leasesDue, expiryDue] = reply.data.map(Number);
    this.window?.seen(leasesDue === 1, expiryDue === 1);
    return promoted ?? 0;
  }

  async recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult> {
    if (this.window?.leasesQuiet === true) return { requeued: 0, failed: 0 };
    const reply = await this.run(scripts.recoverExpired, { keys: { leases: this.keys.leases() }, argv: { limit, stallLimit } });
    return { requeued: Number(reply.data[0]), failed: Number(reply.data[1]) };
  }

  async prune(limit: number): Promise<number> {
    if (this.window?.expiryQuiet === true) return 0;
    const k = this.keys;
    const reply = await this.run(scripts.prune, { keys: { expiry: k.expiry(), workers: k.workers(), workerBeats: k.workerBeats() }, argv: { limit, forgetMs: WORKER_FORGET_MS } });
    return Number(reply.data[0]);
  }

  async purge(request: PurgeRequest): Promise<number> {
    const reply = await this.run(scripts.purge, {
      keys: { statusIndex: this.keys.status(request.status) },
      argv: { queue: request.queue ?? "", finishedBefore: request.finishedBefore, limit: request.limit, budget: SCAN_BUDGET },
    });
    return Number(reply.data[0]);
  }

  async cancel(jobId: string): Promise<Job> {
    return this.jobReply(jobId, "cancel", await this.run(scripts.cancel, { keys: { job: this.keys.job(jobId) }, argv: { jobId } }));
  }

  async retry(jobId: string): Promise<Job> {
    return this.jobReply(jobId, "retry", await this.run(scripts.retry, { keys: { job: this.keys.job(jobId) }, argv: { jobId } }));
  }

  async retryAllFailed(queue: string | null, limit: number): Promise<number> {
    const reply = await this.run(scripts.retryAllFailed, { keys: { failedIndex: this.keys.status("FAILED") }, argv: { queue: queue ?? "", limit, budget: SCAN_BUDGET } });
    return Number(reply.data[0]);
  }

  async remove(jobId: string): Promise<void> {
    const reply = await this.run(scripts.remove, { keys: { job: this.keys.job(jobId) }, argv: { jobId } });
    if (reply.status === ScriptStatus.HasDependents) throw new HasDependentsError(jobId, String(reply.data[0]));
    this.checkFound(jobId, "remove", reply);
  }

  async addChildren(lease: Lease, jobs: readonly NewJob[]): Promise<Job[]> {
    for (const job of jobs) checkStorable(job);
    const rest: string[] = [];
    // (The script gives each child its owner and flow.)
    for (const job of jobs) enqueueArgs({ ...job, parentId: null, flowId: null }, rest);
    const reply = await this.run(scripts.addChildren, {
      keys: { job: this.keys.job(lease.jobId), idempotency: this.keys.idempotency() },
      argv: { jobId: lease.jobId, token: lease.token, count: jobs.length },
      rest,
    });
    if (reply.status === ScriptStatus.LeaseLost) throw new LeaseLostError(lease.jobId);
    return (checkEnqueued(reply).data as Array<[string, unknown]>).map(([id, flat]) => decodeJob(id, hashFields(flat)));
  }

  dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]> {
    return this.reader.dependencyOutcomes(jobId);
  }

  getJobs(jobIds: readonly string[]): Promise<Job[]> {
    return this.reader.getJobs(jobIds);
  }

  getJob(jobId: string): Promise<Job | null> {
    return this.reader.getJob(jobId);
  }

  listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    return this.reader.listJobs(filter, limit, cursor);
  }

  jobEvents(jobId: string): Promise<JobEvent[]> {
    return this.reader.jobEvents(jobId);
  }

  stats(): Promise<QueueStats[]> {
    return this.reader.stats();
  }

  finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    return this.reader.finishesPerMinute(since);
  }

  // Schedules (redis-schedules.ts). dueSchedules is coordinated per namespace as promoteDue is
  // (the same window), except with a test clock.
  readonly upsertSchedule: Store["upsertSchedule"] = (request) => this.schedules.upsert(request);
  readonly getSchedule: Store["getSchedule"] = (scheduleId) => this.schedules.get(scheduleId);
  readonly listSchedules: Store["listSchedules"] = (limit, cursor) => this.schedules.list(limit, cursor);
  readonly removeSchedule: Store["removeSchedule"] = (scheduleId) => this.schedules.remove(scheduleId);
  readonly pauseSchedule: Store["pauseSchedule"] = (scheduleId) => this.schedules.pause(scheduleId);
  readonly resumeSchedule: Store["resumeSchedule"] = (scheduleId, now, nextFireAt, expectedTimingText) => this.schedules.resume(scheduleId, now, nextFireAt, expectedTimingText);
  readonly scheduleCounts: Store["scheduleCounts"] = (dueBefore) => this.schedules.counts(dueBefore);
  readonly dueSchedules: Store["dueSchedules"] = (limit) => this.schedules.due(limit, () => this.now());
  readonly fireSchedule: Store["fireSchedule"] = (request) => this.schedules.fire(request);
  readonly triggerSchedule: Store["triggerSchedule"] = (scheduleId, job) => this.schedules.trigger(scheduleId, job);

  // Limits (redis-limits.ts; admission and slots are the claim's and the transitions' scripts).
  readonly upsertLimit = (request: UpsertLimitRequest): Promise<LimitSetting> => this.limits.upsert(request);
  readonly removeLimit = (name: string, key: string | null): Promise<void> => this.limits.remove(name, key);
  readonly getLimit = (name: string, key: string): Promise<LimitUsage> => this.limits.get(name, key);
  readonly listLimits = (limit: number, cursor: string | null): Promise<LimitPage> => this.limits.list(limit, cursor);

  async pauseQueue(queue: string): Promise<void> {
    await this.call(() => this.redis.sadd(this.keys.paused(), queue));
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.call(async () => {
      await this.redis.srem(this.keys.paused(), queue);
      await this.redis.publish(this.keys.wakeChannel(), queue);
    });
  }

  registerWorker(info: WorkerInfo, stallLimit: number): Promise<number> {
    return this.workers.register(info, stallLimit);
  }

  heartbeatWorker(info: WorkerInfo): Promise<boolean> {
    return this.workers.heartbeat(info);
  }

  async unregisterWorker(name: string, incarnation: string): Promise<void> {
    try {
      await this.claimer.withdraw(name, incarnation);
    } finally {
      await this.workers.unregister(name, incarnation);
    }
  }

  listWorkers(ttlMs: number): Promise<WorkerInfo[]> {
    return this.workers.list(ttlMs);
  }

  async waitForWork(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.signal.wait(queues, this.claimer.waitMs(timeoutMs), signal);
  }

  async watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    return this.call(() => this.feed.watch(listener, options.afterSeq));
  }

  async health(): Promise<StoreHealth> {
    const details: Record<string, Json> = { namespace: this.keys.namespace, ...this.report.details };
    try {
      await this.call(() => this.redis.ping());
      const memory = memoryHealth(await readMemory(this.redis), this.refusals.recent());
      // Memory freed: forget the refusal, so health is ok again at once.
      if (memory.writesRefused === undefined) this.refusals.clear();
      const { warnings, ...rest } = memory;
      return { ok: true, warnings: [...this.report.warnings, ...warnings], details, ...rest };
    } catch (error) {
      return { ok: false, warnings: [...this.report.warnings], details: { ...details, error: String(error) } };
    }
  }

  revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    return this.sessions.revoke(sessionId, expiresAt);
  }

  isSessionRevoked(sessionId: string): Promise<boolean> {
    return this.sessions.isRevoked(sessionId);
  }

  jobPlace(jobId: string, bound: number): Promise<JobPlace | null> {
    return redisJobPlace(this.keys, (script, input) => this.run(script, input), jobId, bound);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signal.close();
    await this.feed.close();
    this.redis.disconnect();
  }

  private run<K extends string, A extends string>(script: RedisScript<K, A>, input: RunInput<K, A>): Promise<ScriptReply> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("The Redis store is closed"));
    const now = this.clock === undefined ? "" : String(this.clock.now());
    try {
      return script.run(this.redis, { prefix: this.keys.prefix, now }, input, this.mapError);
    } catch (error) {
      return Promise.reject(this.mapError(error));
    }
  }

  /** Runs a Redis call with the store's error mapping (plain chaining: the hot path). */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("The Redis store is closed"));
    try {
      return fn().catch((error: unknown) => {
        throw this.mapError(error);
      });
    } catch (error) {
      return Promise.reject(this.mapError(error));
    }
  }

  private checkFound(jobId: string, action: string, reply: ScriptReply): void {
    if (reply.status === ScriptStatus.NotFound) throw new JobNotFoundError(jobId);
    if (reply.status === ScriptStatus.Invalid) throw new InvalidTransitionError(jobId, action, String(reply.data[0]));
  }

  private jobReply(jobId: string, action: string, reply: ScriptReply): Job {
    this.checkFound(jobId, action, reply);
    return decodeJob(jobId, hashFields(reply.data[0]));
  }
}
