// The embedded store: one SQLite file (WAL, synchronous=FULL) shared safely by the processes
// of one machine. Every transition is one IMMEDIATE transaction that also appends its events;
// this class opens the database and the transactions, and the sqlite-*.ts modules take the steps.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { systemClock, type Clock } from "../../core/clock.js";
import { DEFAULT_CONFIG } from "../../core/config.js";
import { StoreUnavailableError } from "../../core/errors.js";
import { WriteRefusals } from "../../core/write-refusals.js";
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, DependencyOutcome, Job, JobFilter, JobPage, Json, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "../../core/job.js";
import type { LimitPage, LimitSetting, LimitUsage } from "../../core/limits.js";
import type { Schedule } from "../../core/schedule.js";
import type { UpsertLimitRequest } from "../../core/store.js";
import type { CancelNotices, ClaimRequest, EnqueueResult, EventWatchOptions, FailRequest, JobPlace, Lease, PurgeRequest, RecoverResult, Store, StoreHealth } from "../../core/store.js";
import type { DueSchedules, FireScheduleRequest, ScheduleCounts, FireScheduleResult, SchedulePage, UpsertOutcome, UpsertScheduleRequest } from "../../core/store.js";
import { migrate } from "./migrate.js";
import { loadSqliteDriver } from "./sqlite-driver.js";
import { GroupCommit } from "./group-commit.js";
import { cancelJob, removeJob, retryAllFailed, retryJob, setQueuePaused } from "./sqlite-admin.js";
import { claimJobs, extendLeases, mayHaveWork } from "./sqlite-claims.js";
import { enqueueJobs, enqueuePendingJob } from "./sqlite-enqueue.js";
import { hasDueJobs, pruneExpired, purgeFinished, recoverExpired } from "./sqlite-maintenance.js";
import { MaintenanceLeases } from "./maintenance-leases.js";
import { SqliteNotifier } from "./sqlite-notifier.js";
import { finishesPerMinute, getJob, jobEvents, listJobs, queueStats, sqliteHealth } from "./sqlite-reads.js";
import * as schedules from "./sqlite-schedules.js";
import { SqliteSessions } from "./sqlite-sessions.js";
import { SqliteJobPlace } from "./sqlite-job-place.js";
import { completeJob, failJob, progressJob, releaseJob } from "./sqlite-settlements.js";
import { heartbeatWorker, liveWorkers, registerWorker, unregisterWorker, watchCancels, watchEvents } from "./sqlite-workers.js";
import { prepareStatements, type Statements } from "./sql-statements.js";
import { TransitionSteps } from "./transition-steps.js";

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a private in-memory database. Default ./data/caudex.db. */
  path?: string;
  /** Overrides the machine clock (tests). */
  clock?: Clock;
  /** How often idle waiters look for commits of other processes. */
  pollIntervalMs?: number;
  /** How long a writer waits for another process's lock before failing. */
  busyTimeoutMs?: number;
  /** Fail with STORE_UNAVAILABLE when the file does not exist, instead of creating it (tools that only read or change existing jobs). */
  mustExist?: boolean;
  /**
   * Internal, for tests only: caps the file at its current size (PRAGMA max_page_count, which
   * is per connection) so that writes fail as on a full disk. Not part of the supported API.
   * @internal
   */
  maxPageCountForTests?: number;
}

type Db = BetterSqlite3.Database;

/** A Store on one SQLite file. */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly path: string;
  private readonly db: Db;
  private readonly st: Statements;
  private readonly clock: Clock;
  private readonly notifier: SqliteNotifier;
  private readonly group: GroupCommit;
  private readonly steps: TransitionSteps;
  private readonly sessions: SqliteSessions;
  private readonly places: SqliteJobPlace;
  // The last write refused for a full disk or a read-only file, for health.
  private readonly refusals: WriteRefusals;
  private readonly leases: MaintenanceLeases;
  private closed = false;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? DEFAULT_CONFIG.sqlitePath;
    this.clock = options.clock ?? systemClock;
    this.refusals = new WriteRefusals(() => this.clock.now());
    // Loaded here, not at import: the driver is only needed when this store is used.
    const Database = loadSqliteDriver();
    try {
      const mustExist = options.mustExist === true && this.path !== ":memory:";
      if (mustExist && !existsSync(this.path)) throw new Error("the file does not exist");
      if (this.path !== ":memory:" && !mustExist) mkdirSync(dirname(this.path), { recursive: true });
      this.db = new Database(this.path, { fileMustExist: mustExist });
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      this.db.pragma("journal_mode = WAL");
      // FULL: a committed transition survives power loss, the promise of "nothing acknowledged is lost".
      this.db.pragma("synchronous = FULL");
      // Statement journals (every statement that fires a trigger, such as the counters of
      // 006-status-counts.sql, needs one) and sorts in memory, not in temporary files: a third
      // less CPU per enqueue and a fifth less per job drained. Durability is the WAL's.
      this.db.pragma("temp_store = MEMORY");
      this.db.pragma("foreign_keys = ON");
      migrate(this.db);
      if (options.maxPageCountForTests !== undefined) this.db.pragma(`max_page_count = ${options.maxPageCountForTests}`);
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open SQLite database ${this.path}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    this.st = prepareStatements(this.db);
    this.steps = new TransitionSteps(this.st, this.db);
    this.sessions = new SqliteSessions(this.db);
    this.places = new SqliteJobPlace(this.db);
    this.leases = new MaintenanceLeases(this.st);
    this.notifier = new SqliteNotifier(() => this.st.dataVersion.pluck().get() as number, options.pollIntervalMs ?? 50, this.path === ":memory:" ? null : this.path);
    this.group = new GroupCommit(this.db, () => this.notifier.changed(), (error) => this.translateError(error));
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    return this.write(() => enqueueJobs(this.st, this.steps, jobs, this.clock.now()));
  }

  async enqueuePending(jobId: string): Promise<Job> {
    return this.write(() => enqueuePendingJob(this.st, this.steps, jobId, this.clock.now()));
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    // A read first: idle workers polling many queues must not take the write lock for nothing.
    if (request.limit <= 0 || !mayHaveWork(this.db, this.st, request.queues, now)) return [];
    // Grouped: a worker's claim usually shares its transaction with the settlement before it.
    return this.grouped(() => claimJobs(this.st, this.steps, request, this.clock.now()));
  }

  async extendLeases(_worker: string, leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    return this.write(() => extendLeases(this.st, leases, leaseMs, this.clock.now()), false);
  }

  async complete(lease: Lease, result: Json): Promise<void> {
    await this.grouped(() => completeJob(this.st, this.steps, lease, result, this.clock.now()));
  }

  async fail(request: FailRequest): Promise<Job> {
    return this.grouped(() => failJob(this.st, this.steps, request, this.clock.now()));
  }

  async progress(lease: Lease, progress: Json): Promise<void> {
    await this.grouped(() => progressJob(this.st, this.steps, lease, progress, this.clock.now()));
  }

  async release(lease: Lease): Promise<void> {
    this.write(() => releaseJob(this.st, this.steps, lease, this.clock.now()));
  }

  async promoteDue(limit: number): Promise<number> {
    const now = this.clock.now();
    if (!hasDueJobs(this.st, now)) return 0;
    return this.write(() => this.steps.promoteDue(now, limit));
  }

  async recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult> {
    const now = this.clock.now();
    return this.write(() => recoverExpired(this.st, this.steps, limit, stallLimit, now), rowsChanged);
  }

  /** One process of those sharing the file prunes at a time (MaintenanceLeases); the others return 0 after one read. */
  async prune(limit: number): Promise<number> {
    const now = this.clock.now();
    if (this.leases.heldByOther("prune", now)) return 0;
    return this.write(() => (this.leases.take("prune", now) ? pruneExpired(this.st, this.steps, limit, now) : 0), false);
  }

  async purge(request: PurgeRequest): Promise<number> {
    return this.write(() => purgeFinished(this.st, this.steps, request), false);
  }

  async cancel(jobId: string): Promise<Job> {
    return this.write(() => cancelJob(this.st, this.steps, jobId, this.clock.now()));
  }

  async retry(jobId: string): Promise<Job> {
    return this.write(() => retryJob(this.steps, jobId, this.clock.now()));
  }

  async retryAllFailed(queue: string | null, limit: number): Promise<number> {
    return this.write(() => retryAllFailed(this.st, this.steps, queue, limit, this.clock.now()));
  }

  async remove(jobId: string): Promise<void> {
    this.write(() => removeJob(this.steps, jobId, this.clock.now()));
  }

  async addChildren(lease: Lease, jobs: readonly NewJob[]): Promise<Job[]> {
    return this.write(() => {
      const now = this.clock.now();
      return this.steps.deps.addChildren(lease, jobs, now, (children) => enqueueJobs(this.st, this.steps, children, now).map((r) => r.job));
    });
  }

  async dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]> {
    return this.steps.deps.outcomes(jobId);
  }

  async getJobs(jobIds: readonly string[]): Promise<Job[]> {
    return this.steps.deps.byIds(jobIds);
  }

  async upsertLimit(request: UpsertLimitRequest): Promise<LimitSetting> {
    // A limit raised or removed may let waiting jobs start: waiters look again.
    return this.write(() => this.steps.limits.upsert(request, this.clock.now()));
  }

  async removeLimit(name: string, key: string | null): Promise<void> {
    this.write(() => this.steps.limits.remove(name, key));
  }

  async getLimit(name: string, key: string): Promise<LimitUsage> {
    return this.steps.limits.usage(name, key, this.clock.now());
  }

  async listLimits(limit: number, cursor: string | null): Promise<LimitPage> {
    return this.steps.limits.list(limit, cursor, this.clock.now());
  }

  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    return listJobs(this.db, this.st, filter, limit, cursor);
  }

  async stats(): Promise<QueueStats[]> {
    return queueStats(this.db, this.st, this.clock.now(), this.steps.pausedQueues());
  }

  async finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    return finishesPerMinute(this.st, since);
  }

  async getJob(jobId: string): Promise<Job | null> {
    return getJob(this.st, jobId);
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    return jobEvents(this.st, jobId);
  }

  async upsertSchedule(request: UpsertScheduleRequest): Promise<{ schedule: Schedule; outcome: UpsertOutcome }> {
    return this.write(() => schedules.upsertSchedule(this.st, request), false);
  }

  async getSchedule(scheduleId: string): Promise<Schedule | null> {
    return schedules.getSchedule(this.st, scheduleId);
  }

  async listSchedules(limit: number, cursor: string | null): Promise<SchedulePage> {
    return schedules.listSchedules(this.st, limit, cursor);
  }

  async removeSchedule(scheduleId: string): Promise<void> {
    this.write(() => schedules.removeSchedule(this.st, scheduleId), false);
  }

  async pauseSchedule(scheduleId: string): Promise<Schedule> {
    return this.write(() => schedules.pauseSchedule(this.st, scheduleId), false);
  }

  async resumeSchedule(scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Promise<Schedule> {
    return this.write(() => schedules.resumeSchedule(this.st, scheduleId, now, nextFireAt, expectedTimingText), false);
  }

  async scheduleCounts(dueBefore: number): Promise<ScheduleCounts> {
    return this.st.scheduleCounts.get({ due_before: dueBefore }) as ScheduleCounts;
  }

  async dueSchedules(limit: number): Promise<DueSchedules> {
    const now = this.clock.now();
    return { now, schedules: schedules.dueSchedules(this.st, now, limit) };
  }

  async fireSchedule(request: FireScheduleRequest): Promise<FireScheduleResult> {
    // Jobs made by a fire wake waiters as an enqueue does; a fire that made none changed no job.
    return this.write(() => schedules.fireSchedule(this.st, this.steps, request, this.clock.now()), (result) => result.jobs.length > 0);
  }

  async triggerSchedule(scheduleId: string, job: NewJob): Promise<Job> {
    return this.write(() => schedules.triggerSchedule(this.st, this.steps, scheduleId, job, this.clock.now()));
  }

  async pauseQueue(queue: string): Promise<void> {
    this.write(() => setQueuePaused(this.st, queue, true), false);
  }

  async resumeQueue(queue: string): Promise<void> {
    this.write(() => setQueuePaused(this.st, queue, false));
  }

  async registerWorker(info: WorkerInfo, stallLimit: number): Promise<number> {
    return this.write(() => registerWorker(this.st, this.steps, info, stallLimit, this.clock.now()));
  }

  async heartbeatWorker(info: WorkerInfo): Promise<boolean> {
    return this.write(() => heartbeatWorker(this.st, info, this.clock.now()), false);
  }

  async unregisterWorker(name: string, incarnation: string): Promise<void> {
    this.write(() => unregisterWorker(this.st, name, incarnation), false);
  }

  async listWorkers(ttlMs: number): Promise<WorkerInfo[]> {
    return liveWorkers(this.st, this.clock.now() - ttlMs);
  }

  async waitForWork(_queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.notifier.wait(timeoutMs, signal);
  }

  /** Cancels of a worker's running jobs, read from the event log each time the database changes (decision 0027). */
  readonly cancelNotices: CancelNotices = {
    watchCancels: async (worker, _incarnation, onCancel) => watchCancels(this.db, this.st, this.notifier, () => this.closed, worker, onCancel),
  };

  async watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    const stop = watchEvents(this.st, this.notifier, () => this.closed, listener, options.afterSeq);
    return async () => stop();
  }

  async health(): Promise<StoreHealth> {
    const health = sqliteHealth(this.db, this.path);
    const refused = this.refusals.recent();
    return refused === null ? health : { ...health, writesRefused: refused };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.close();
    try {
      this.leases.release();
    } catch {
      // A file that turned read-only or locked: the lease then expires by itself.
    }
    this.db.close();
  }

  async revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    this.write(() => this.sessions.revoke(sessionId, expiresAt, this.clock.now()), false);
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    if (this.closed) throw new StoreUnavailableError("The SQLite store is closed");
    return this.sessions.isRevoked(sessionId, this.clock.now());
  }

  async jobPlace(jobId: string, bound: number): Promise<JobPlace | null> {
    return this.places.place(jobId, bound);
  }

  /** Runs `fn` in one IMMEDIATE transaction; wakes waiters and watchers when it committed. */
  private write<T>(fn: () => T, notify: boolean | ((result: T) => boolean) = true): T {
    if (this.closed) throw new StoreUnavailableError("The SQLite store is closed");
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (error) {
      throw this.translateError(error);
    }
    if (notify === true || (typeof notify === "function" && notify(result))) this.notifier.changed();
    return result;
  }

  /** Runs `fn` in the next group commit: settlements of one turn share a transaction. */
  private grouped<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("The SQLite store is closed"));
    return this.group.add(fn);
  }

  /**
   * Failures of the database rather than of the request become STORE_UNAVAILABLE: a lock held
   * by another process, a full disk, a file that turned read-only, an I/O error. The
   * transaction was rolled back, so nothing of the write was kept.
   */
  private translateError(error: unknown): unknown {
    if (!(error instanceof Error) || !("code" in error)) return error;
    const code = String((error as { code: unknown }).code);
    if (code.startsWith("SQLITE_BUSY")) return new StoreUnavailableError(`SQLite database ${this.path} is locked by another process`, error);
    const refusal =
      code === "SQLITE_FULL"
        ? `The store is out of space: SQLite database ${this.path} cannot grow (disk full): ${error.message}`
        : code.startsWith("SQLITE_READONLY")
          ? `SQLite database ${this.path} is read-only (check the file, its directory and the disk): ${error.message}`
          : code.startsWith("SQLITE_IOERR")
            ? `SQLite cannot write ${this.path} (I/O error: is the disk full or failing?): ${error.message}`
            : null;
    if (refusal === null) return error;
    this.refusals.note(refusal);
    return new StoreUnavailableError(refusal, error);
  }
}

function rowsChanged(result: RecoverResult): boolean {
  return result.requeued + result.failed > 0;
}
