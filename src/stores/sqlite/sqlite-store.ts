// The embedded store: one SQLite file (WAL, synchronous=FULL) shared safely by the processes
// of one machine. Every transition is one IMMEDIATE transaction that also appends its events.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { systemClock, type Clock } from "../../core/clock.js";
import { DEFAULT_CONFIG } from "../../core/config.js";
import { InvalidTransitionError, StoreUnavailableError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, Job, JobFilter, JobPage, Json, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "../../core/job.js";
import { CANCELABLE, REMOVABLE, RETRYABLE, type JobStatus } from "../../core/job-states.js";
import type { ClaimRequest, EnqueueResult, EventWatchOptions, FailRequest, Lease, PurgeRequest, RecoverResult, Store, StoreHealth } from "../../core/store.js";
import { WORKER_FORGET_MS } from "../../core/worker-registry.js";
import { migrate } from "./migrate.js";
import { rowToEvent, rowToJob, type EventRow, type JobRow } from "./rows.js";
import { GroupCommit } from "./group-commit.js";
import { JobRows } from "./job-rows.js";
import { finishesPerMinute, listJobs, queueStats, sqliteHealth } from "./sqlite-queries.js";
import { SqliteNotifier } from "./sqlite-notifier.js";
import { completeJob, failJob, progressJob, releaseJob } from "./sqlite-settlements.js";
import { prepareStatements, type Statements } from "./statements.js";
import { heartbeatWorker, liveWorkers, registerWorker, watchEvents } from "./sqlite-workers.js";

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
}

// Progress and removal events are pruned after this long; a job's other events go with the job
// (JobRows.delete), and a removed job's last event outlives it.
const PROGRESS_EVENT_TTL_MS = 3600_000;

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
  private readonly rows: JobRows;
  private readonly claimChecks = new Map<string, BetterSqlite3.Statement>();
  private closed = false;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? DEFAULT_CONFIG.sqlitePath;
    this.clock = options.clock ?? systemClock;
    // Loaded here, not at import: the driver is only needed when this store is used.
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
    try {
      const mustExist = options.mustExist === true && this.path !== ":memory:";
      if (mustExist && !existsSync(this.path)) throw new Error("the file does not exist");
      if (this.path !== ":memory:" && !mustExist) mkdirSync(dirname(this.path), { recursive: true });
      this.db = new Database(this.path, { fileMustExist: mustExist });
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      this.db.pragma("journal_mode = WAL");
      // FULL: a committed transition survives power loss, the promise of "nothing acknowledged is lost".
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      migrate(this.db);
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open SQLite database ${this.path}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    this.st = prepareStatements(this.db);
    this.rows = new JobRows(this.st);
    this.notifier = new SqliteNotifier(() => this.st.dataVersion.pluck().get() as number, options.pollIntervalMs ?? 50, this.path === ":memory:" ? null : this.path);
    this.group = new GroupCommit(this.db, () => this.notifier.changed(), (error) => this.translateError(error));
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    const results = this.write(() => {
      const now = this.clock.now();
      const tails = new Map<string, number>();
      return jobs.map((job) => this.rows.insert(job, now, tails));
    });
    return results;
  }

  async enqueuePending(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.rows.require(jobId);
      if (row.status !== "PENDING") throw new InvalidTransitionError(jobId, "enqueue", row.status);
      const now = this.clock.now();
      if (row.run_at !== null && row.run_at > now) {
        const updated = this.st.toScheduled.get({ id: jobId, now }) as JobRow;
        this.rows.event("job:scheduled", updated, now);
        return rowToJob(updated);
      }
      const updated = this.st.toQueued.get({ id: jobId, now, position: this.rows.tailPosition(row.queue) }) as JobRow;
      this.rows.event("job:enqueued", updated, now);
      return rowToJob(updated);
    });
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    // A read first: idle workers polling many queues must not take the write lock for nothing.
    if (request.limit <= 0 || !this.mayHaveWork(request.queues, now)) return [];
    // Grouped: a worker's claim usually shares its transaction with the settlement before it.
    return this.grouped(() => this.rows.claim(request, this.clock.now()));
  }

  async extendLeases(_worker: string, leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    return this.write(() => {
      const expires = this.clock.now() + leaseMs;
      const lost: string[] = [];
      for (const lease of leases) {
        const info = this.st.extendLease.run({ id: lease.jobId, token: lease.token, expires });
        if (info.changes === 0) lost.push(lease.jobId);
      }
      return lost;
    }, false);
  }

  async complete(lease: Lease, result: Json): Promise<void> {
    await this.grouped(() => completeJob(this.st, this.rows, lease, result, this.clock.now()));
  }

  async fail(request: FailRequest): Promise<Job> {
    return this.grouped(() => failJob(this.st, this.rows, request, this.clock.now()));
  }

  async progress(lease: Lease, progress: Json): Promise<void> {
    await this.grouped(() => progressJob(this.st, this.rows, lease, progress, this.clock.now()));
  }

  async release(lease: Lease): Promise<void> {
    this.write(() => releaseJob(this.st, this.rows, lease, this.clock.now()));
  }

  async promoteDue(limit: number): Promise<number> {
    const now = this.clock.now();
    if (this.st.anyDue.get(now) === undefined) return 0;
    return this.write(() => this.rows.promoteDue(now, limit));
  }

  async recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult> {
    const now = this.clock.now();
    return this.write(() => {
      const rows = this.st.expiredLeases.all(now, limit) as JobRow[];
      return this.rows.stall(rows, now, stallLimit, "its lease expired");
    }, rowsChanged);
  }

  async prune(limit: number): Promise<number> {
    const now = this.clock.now();
    return this.write(() => {
      const ids = this.st.expiredJobs.pluck().all(now, limit) as string[];
      for (const id of ids) this.rows.delete(id);
      this.st.pruneProgressEvents.run(now - PROGRESS_EVENT_TTL_MS, limit);
      this.st.forgetWorkers.run(now - WORKER_FORGET_MS);
      return ids.length;
    }, false);
  }

  async purge(request: PurgeRequest): Promise<number> {
    return this.write(() => {
      const params = { status: request.status, before: request.finishedBefore, limit: request.limit, queue: request.queue };
      const ids = (
        request.queue === undefined ? this.st.purgeable.pluck().all(params) : this.st.purgeableOfQueue.pluck().all(params)
      ) as string[];
      for (const id of ids) this.rows.delete(id);
      return ids.length;
    }, false);
  }

  async cancel(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.rows.require(jobId);
      if (!CANCELABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "cancel", row.status);
      const now = this.clock.now();
      const updated = this.st.cancel.get({ id: jobId, now }) as JobRow;
      this.rows.event("job:canceled", updated, now);
      return rowToJob(updated);
    });
  }

  async retry(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.rows.require(jobId);
      if (!RETRYABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "retry", row.status);
      return rowToJob(this.rows.retry(row, this.clock.now()));
    });
  }

  async retryAllFailed(queue: string | null, limit: number): Promise<number> {
    return this.write(() => {
      const now = this.clock.now();
      const ids = (queue === null ? this.st.failedIds.pluck().all(limit) : this.st.failedIdsOfQueue.pluck().all(queue, limit)) as string[];
      for (const id of ids) this.rows.retry(this.rows.require(id), now);
      return ids.length;
    });
  }

  async remove(jobId: string): Promise<void> {
    this.write(() => {
      const row = this.rows.require(jobId);
      if (!REMOVABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "remove", row.status);
      this.rows.delete(jobId);
      this.rows.insertEvent("job:removed", row, row.status as JobStatus, this.clock.now());
    });
  }

  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    return listJobs(this.db, filter, limit, cursor);
  }

  async stats(): Promise<QueueStats[]> {
    return queueStats(this.db, this.st, this.clock.now(), this.rows.pausedQueues());
  }

  async finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    return finishesPerMinute(this.st, since);
  }

  async getJob(jobId: string): Promise<Job | null> {
    const row = this.st.jobById.get(jobId) as JobRow | undefined;
    return row === undefined ? null : rowToJob(row);
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    return (this.st.eventsOfJob.all(jobId) as EventRow[]).map(rowToEvent);
  }

  async pauseQueue(queue: string): Promise<void> {
    this.write(() => this.st.setPaused.run(queue, 1), false);
  }

  async resumeQueue(queue: string): Promise<void> {
    this.write(() => this.st.setPaused.run(queue, 0));
  }

  async registerWorker(info: WorkerInfo, stallLimit: number): Promise<number> {
    return this.write(() => registerWorker(this.st, this.rows, info, stallLimit, this.clock.now()));
  }

  async heartbeatWorker(info: WorkerInfo): Promise<boolean> {
    return this.write(() => heartbeatWorker(this.st, this.rows, info, this.clock.now()), false);
  }

  async unregisterWorker(name: string, incarnation: string): Promise<void> {
    this.write(() => this.st.deleteWorker.run(name, incarnation), false);
  }

  async listWorkers(ttlMs: number): Promise<WorkerInfo[]> {
    return liveWorkers(this.st, this.clock.now() - ttlMs);
  }

  async waitForWork(_queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.notifier.wait(timeoutMs, signal);
  }

  async watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    const stop = watchEvents(this.st, this.notifier, () => this.closed, listener, options.afterSeq);
    return async () => stop();
  }

  async health(): Promise<StoreHealth> {
    return sqliteHealth(this.db, this.path);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.close();
    this.db.close();
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

  private translateError(error: unknown): unknown {
    if (error instanceof Error && "code" in error && String((error as { code: unknown }).code).startsWith("SQLITE_BUSY")) {
      return new StoreUnavailableError(`SQLite database ${this.path} is locked by another process`, error);
    }
    return error;
  }

  private mayHaveWork(queues: readonly string[], now: number): boolean {
    const key = String(queues.length);
    let check = this.claimChecks.get(key);
    if (check === undefined) {
      check = this.db.prepare(
        `SELECT 1 FROM jobs WHERE status = 'QUEUED' AND queue IN (${queues.map(() => "?").join(",")}) LIMIT 1`,
      );
      this.claimChecks.set(key, check);
    }
    return check.get(...queues) !== undefined || this.st.anyDue.get(now) !== undefined;
  }
}

function rowsChanged(result: RecoverResult): boolean {
  return result.requeued + result.failed > 0;
}
