// The embedded store: one SQLite file (WAL, synchronous=FULL) shared safely by the processes
// of one machine. Every transition is one IMMEDIATE transaction that also appends its events.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { systemClock, type Clock } from "../../core/clock.js";
import {
  InvalidTransitionError,
  JobNotFoundError,
  LeaseLostError,
  StoreUnavailableError,
  WorkerNameTakenError,
} from "../../core/errors.js";
import type { JobEvent, JobEventType } from "../../core/events.js";
import { newToken } from "../../core/ids.js";
import type { ClaimedJob, Job, JobError, JobFilter, JobPage, Json, NewJob, QueueStats, WorkerInfo } from "../../core/job.js";
import { CANCELABLE, JOB_STATUSES, REMOVABLE, RETRYABLE, type JobStatus } from "../../core/job-states.js";
import type {
  ClaimRequest,
  EnqueueResult,
  EventWatchOptions,
  FailRequest,
  Lease,
  PurgeRequest,
  RecoverResult,
  Store,
  StoreHealth,
} from "../../core/store.js";
import { WORKER_FORGET_MS, isLiveNamesake } from "../../core/worker-registry.js";
import { migrate } from "./migrate.js";
import { rowToClaimed, rowToEvent, rowToJob, rowToWorker, type EventRow, type JobRow, type WorkerRow } from "./rows.js";
import { GroupCommit } from "./group-commit.js";
import { SqliteNotifier } from "./sqlite-notifier.js";
import { prepareStatements, type Statements } from "./statements.js";

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
}

/** Default database file, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = "./data/caudex.db";
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
  private readonly claimChecks = new Map<string, BetterSqlite3.Statement>();
  private closed = false;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? DEFAULT_SQLITE_PATH;
    this.clock = options.clock ?? systemClock;
    // Loaded here, not at import: the driver is only needed when this store is used.
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      this.db = new Database(this.path);
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      this.db.pragma("journal_mode = WAL");
      // FULL: a committed transition survives power loss, the promise of "nothing acknowledged is lost".
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      migrate(this.db);
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open SQLite database ${this.path}: ${String(error)}`, error);
    }
    this.st = prepareStatements(this.db);
    this.notifier = new SqliteNotifier(() => this.st.dataVersion.pluck().get() as number, options.pollIntervalMs ?? 50);
    this.group = new GroupCommit(this.db, () => this.notifier.changed(), (error) => this.translateError(error));
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    const results = this.write(() => {
      const now = this.clock.now();
      const tails = new Map<string, number>();
      return jobs.map((job) => this.insertJob(job, now, tails));
    });
    return results;
  }

  async enqueuePending(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.requireRow(jobId);
      if (row.status !== "PENDING") throw new InvalidTransitionError(jobId, "enqueue", row.status);
      const now = this.clock.now();
      if (row.run_at !== null && row.run_at > now) {
        this.db.prepare("UPDATE jobs SET status = 'SCHEDULED', enqueued_at = ? WHERE id = ?").run(now, jobId);
        const updated = this.requireRow(jobId);
        this.event("job:scheduled", updated, now);
        return rowToJob(updated);
      }
      const updated = this.st.toQueued.get({ id: jobId, now, position: this.tailPosition(row.queue) }) as JobRow;
      this.event("job:enqueued", updated, now);
      return rowToJob(updated);
    });
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    // A read first: idle workers polling many queues must not take the write lock for nothing.
    if (!this.mayHaveWork(request.queues, now)) return [];
    // Grouped: a worker's claim usually shares its transaction with the settlement before it.
    return this.grouped(() => {
      const now = this.clock.now();
      this.promoteDueNow(now, 1000);
      const paused = this.pausedQueues();
      const claimed: ClaimedJob[] = [];
      for (const queue of request.queues) {
        if (claimed.length >= request.limit) break;
        if (paused.has(queue)) continue;
        const ids = this.st.headOfQueue.pluck().all(queue, request.limit - claimed.length) as string[];
        for (const id of ids) {
          const row = this.st.claimOne.get({
            id,
            now,
            worker: request.worker,
            incarnation: request.incarnation,
            token: newToken(),
            expires: now + request.leaseMs,
          }) as JobRow;
          this.event("job:started", row, now, { durationMs: now - (row.enqueued_at ?? now) });
          claimed.push(rowToClaimed(row));
        }
      }
      return claimed;
    });
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
    await this.grouped(() => {
      const now = this.clock.now();
      const row = this.st.complete.get({ id: lease.jobId, token: lease.token, now, result: JSON.stringify(result) }) as
        | JobRow
        | undefined;
      if (row === undefined) throw new LeaseLostError(lease.jobId);
      this.event("job:completed", row, now, { durationMs: now - (row.started_at ?? now) });
    });
  }

  async fail(request: FailRequest): Promise<Job> {
    return this.grouped(() => {
      const now = this.clock.now();
      const params = { id: request.jobId, token: request.token, now, error: JSON.stringify(request.error) };
      let row: JobRow | undefined;
      if (request.retryDelayMs === null) {
        row = this.st.failFinal.get(params) as JobRow | undefined;
        if (row !== undefined) this.event("job:failed", row, now, { error: request.error, durationMs: now - (row.started_at ?? now) });
      } else {
        const current = this.st.jobById.get(request.jobId) as JobRow | undefined;
        row =
          request.retryDelayMs <= 0
            ? (this.st.failRetryNow.get({ ...params, position: this.tailPosition(current?.queue ?? "") }) as JobRow | undefined)
            : (this.st.failRetryLater.get({ ...params, run_at: now + request.retryDelayMs }) as JobRow | undefined);
        if (row !== undefined) this.event("job:retrying", row, now, { error: request.error, durationMs: now - (row.started_at ?? now) });
      }
      if (row === undefined) throw new LeaseLostError(request.jobId);
      return rowToJob(row);
    });
  }

  async progress(lease: Lease, progress: Json): Promise<void> {
    await this.grouped(() => {
      const now = this.clock.now();
      const row = this.st.progress.get({ id: lease.jobId, token: lease.token, progress: JSON.stringify(progress) }) as
        | JobRow
        | undefined;
      if (row === undefined) throw new LeaseLostError(lease.jobId);
      this.insertEvent("job:progress", row, "PROCESSING", now, { progress });
    });
  }

  async release(lease: Lease): Promise<void> {
    this.write(() => {
      const now = this.clock.now();
      const current = this.st.jobById.get(lease.jobId) as JobRow | undefined;
      if (current === undefined) throw new LeaseLostError(lease.jobId);
      const row = this.st.release.get({ id: lease.jobId, token: lease.token, now, position: this.headPosition(current.queue) }) as
        | JobRow
        | undefined;
      if (row === undefined) throw new LeaseLostError(lease.jobId);
      this.event("job:released", row, now);
    });
  }

  async promoteDue(limit: number): Promise<number> {
    const now = this.clock.now();
    if (this.st.anyDue.get(now) === undefined) return 0;
    return this.write(() => this.promoteDueNow(now, limit));
  }

  async recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult> {
    const now = this.clock.now();
    return this.write(() => {
      const rows = this.st.expiredLeases.all(now, limit) as JobRow[];
      return this.stallJobs(rows, now, stallLimit, "its lease expired");
    }, rowsChanged);
  }

  async prune(limit: number): Promise<number> {
    const now = this.clock.now();
    return this.write(() => {
      const ids = this.st.expiredJobs.pluck().all(now, limit) as string[];
      for (const id of ids) this.deleteJob(id);
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
      for (const id of ids) this.deleteJob(id);
      return ids.length;
    }, false);
  }

  async cancel(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.requireRow(jobId);
      if (!CANCELABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "cancel", row.status);
      const now = this.clock.now();
      const updated = this.st.cancel.get({ id: jobId, now }) as JobRow;
      this.event("job:canceled", updated, now);
      return rowToJob(updated);
    });
  }

  async retry(jobId: string): Promise<Job> {
    return this.write(() => {
      const row = this.requireRow(jobId);
      if (!RETRYABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "retry", row.status);
      return rowToJob(this.retryRow(row, this.clock.now()));
    });
  }

  async retryAllFailed(queue: string | null, limit: number): Promise<number> {
    return this.write(() => {
      const now = this.clock.now();
      const ids = (queue === null ? this.st.failedIds.pluck().all(limit) : this.st.failedIdsOfQueue.pluck().all(queue, limit)) as string[];
      for (const id of ids) this.retryRow(this.requireRow(id), now);
      return ids.length;
    });
  }

  async remove(jobId: string): Promise<void> {
    this.write(() => {
      const row = this.requireRow(jobId);
      if (!REMOVABLE.includes(row.status as JobStatus)) throw new InvalidTransitionError(jobId, "remove", row.status);
      this.deleteJob(jobId);
      this.insertEvent("job:removed", row, row.status as JobStatus, this.clock.now());
    });
  }

  async getJob(jobId: string): Promise<Job | null> {
    const row = this.st.jobById.get(jobId) as JobRow | undefined;
    return row === undefined ? null : rowToJob(row);
  }

  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      where.push(sql);
      params.push(value);
    };
    if (filter.status !== undefined) add("status = ?", filter.status);
    if (filter.queue !== undefined) add("queue = ?", filter.queue);
    if (filter.task !== undefined) add("task = ?", filter.task);
    if (filter.projectId !== undefined) add("project_id = ?", filter.projectId);
    if (filter.userId !== undefined) add("user_id = ?", filter.userId);
    if (cursor !== null) add("id < ?", cursor);
    const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, limit + 1) as JobRow[];
    const page = rows.slice(0, limit).map(rowToJob);
    return { jobs: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    return (this.st.eventsOfJob.all(jobId) as EventRow[]).map(rowToEvent);
  }

  async stats(): Promise<QueueStats[]> {
    const now = this.clock.now();
    const byQueue = new Map<string, QueueStats>();
    const entry = (queue: string): QueueStats => {
      let stats = byQueue.get(queue);
      if (stats === undefined) {
        const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
        stats = { queue, counts, oldestWaitingMs: null, completedLastMinute: 0, failedLastMinute: 0, paused: false };
        byQueue.set(queue, stats);
      }
      return stats;
    };
    this.db.transaction(() => {
      for (const r of this.st.countsByQueue.all() as Array<{ queue: string; status: JobStatus; n: number }>)
        entry(r.queue).counts[r.status] = r.n;
      for (const r of this.st.oldestWaiting.all() as Array<{ queue: string; t: number | null }>)
        entry(r.queue).oldestWaitingMs = r.t === null ? null : Math.max(0, now - r.t);
      for (const r of this.st.finishedSince.all(now - 60_000) as Array<{ queue: string; status: string; n: number }>) {
        if (r.status === "COMPLETED") entry(r.queue).completedLastMinute = r.n;
        else entry(r.queue).failedLastMinute = r.n;
      }
      for (const name of this.pausedQueues()) entry(name).paused = true;
    })();
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async pauseQueue(queue: string): Promise<void> {
    this.write(() => this.st.setPaused.run(queue, 1), false);
  }

  async resumeQueue(queue: string): Promise<void> {
    this.write(() => this.st.setPaused.run(queue, 0));
  }

  async registerWorker(info: WorkerInfo): Promise<number> {
    return this.write(() => {
      const now = this.clock.now();
      const existing = this.st.workerByName.get(info.name) as WorkerRow | undefined;
      if (existing !== undefined && existing.heartbeat_at >= now - 60_000 && isLiveNamesake(rowToWorker(existing), info)) {
        throw new WorkerNameTakenError(info.name, existing.pid);
      }
      this.upsertWorker(info, now);
      // Jobs held by an earlier incarnation of this name: that process is gone, release them now.
      const rows = this.st.jobsOfWorker.all(info.name, info.incarnation) as JobRow[];
      return this.stallJobs(rows, now, Number.MAX_SAFE_INTEGER, "its worker restarted").requeued;
    });
  }

  async heartbeatWorker(info: WorkerInfo): Promise<boolean> {
    return this.write(() => {
      const existing = this.st.workerByName.get(info.name) as WorkerRow | undefined;
      if (existing !== undefined && existing.incarnation !== info.incarnation) return false;
      this.upsertWorker(info, this.clock.now());
      return true;
    }, false);
  }

  async unregisterWorker(name: string, incarnation: string): Promise<void> {
    this.write(() => this.st.deleteWorker.run(name, incarnation), false);
  }

  async listWorkers(ttlMs: number): Promise<WorkerInfo[]> {
    return (this.st.liveWorkers.all(this.clock.now() - ttlMs) as WorkerRow[]).map(rowToWorker);
  }

  async waitForWork(_queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.notifier.wait(timeoutMs, signal);
  }

  async watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    let last = options.afterSeq !== undefined && /^\d+$/.test(options.afterSeq)
      ? Number(options.afterSeq)
      : (this.st.lastEventSeq.pluck().get() as number);
    const deliver = (): void => {
      if (this.closed) return;
      for (;;) {
        const rows = this.st.eventsAfter.all(last, 500) as EventRow[];
        for (const row of rows) {
          last = row.seq;
          listener(rowToEvent(row));
        }
        if (rows.length < 500) return;
      }
    };
    deliver();
    const stop = this.notifier.watch(deliver);
    return async () => stop();
  }

  async health(): Promise<StoreHealth> {
    try {
      this.db.prepare("SELECT 1").get();
      const journal = this.db.pragma("journal_mode", { simple: true }) as string;
      const warnings = this.path === ":memory:" ? ["the database is in memory: jobs are lost when the process exits"] : [];
      return { ok: true, warnings, details: { path: this.path, journalMode: journal, synchronous: "FULL" } };
    } catch (error) {
      return { ok: false, warnings: [], details: { error: String(error) } };
    }
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

  private insertJob(job: NewJob, now: number, tails: Map<string, number>): EnqueueResult {
    if (job.idempotencyKey !== null) {
      const existing = this.st.jobByKey.get(job.idempotencyKey) as JobRow | undefined;
      if (existing !== undefined) return { job: rowToJob(existing), created: false };
    }
    const runAt = job.runAt ?? (job.delayMs !== null && job.delayMs > 0 ? now + job.delayMs : null);
    const status: JobStatus = job.hold ? "PENDING" : runAt !== null && runAt > now ? "SCHEDULED" : "QUEUED";
    let position: number | null = null;
    if (status === "QUEUED") {
      position = (tails.get(job.queue) ?? this.tailPosition(job.queue) - 1) + 1;
      tails.set(job.queue, position);
    }
    const row = {
      id: job.id,
      task: job.task,
      queue: job.queue,
      status,
      payload: job.payloadText,
      max_attempts: job.maxAttempts,
      timeout_ms: job.timeoutMs,
      backoff: JSON.stringify(job.backoff),
      retry_on_timeout: job.retryOnTimeout ? 1 : 0,
      created_at: now,
      enqueued_at: status === "PENDING" ? null : now,
      run_at: runAt,
      idempotency_key: job.idempotencyKey,
      meta: JSON.stringify(job.meta),
      project_id: job.meta.projectId ?? null,
      user_id: job.meta.userId ?? null,
      result_ttl_s: job.resultTtlSeconds,
      failure_ttl_s: job.failureTtlSeconds,
      position,
    };
    this.st.insertJob.run(row);
    const type: JobEventType = status === "PENDING" ? "job:created" : status === "SCHEDULED" ? "job:scheduled" : "job:enqueued";
    this.st.insertEvent.run(now, type, job.id, job.queue, job.task, status, 0, null, null);
    return { job: newJobRecord(job, status, now, runAt), created: true };
  }

  private promoteDueNow(now: number, limit: number): number {
    const due = this.st.dueJobs.all(now, limit) as Array<{ id: string; queue: string }>;
    const tails = new Map<string, number>();
    for (const { id, queue } of due) {
      const position = (tails.get(queue) ?? this.tailPosition(queue) - 1) + 1;
      tails.set(queue, position);
      const row = this.st.toQueued.get({ id, now, position }) as JobRow;
      this.event("job:enqueued", row, now);
    }
    return due.length;
  }

  private stallJobs(rows: JobRow[], now: number, stallLimit: number, why: string): RecoverResult {
    let requeued = 0;
    let failed = 0;
    for (const row of rows) {
      if (row.stalls + 1 > stallLimit) {
        const error: JobError = { code: "STALLED", message: `Stalled ${row.stalls + 1} times (${why}); stall limit is ${stallLimit}` };
        const updated = this.st.stallFail.get({ id: row.id, now, error: JSON.stringify(error) }) as JobRow;
        this.event("job:failed", updated, now, { error });
        failed += 1;
      } else {
        const updated = this.st.stallRequeue.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
        this.event("job:stalled", updated, now);
        requeued += 1;
      }
    }
    return { requeued, failed };
  }

  private retryRow(row: JobRow, now: number): JobRow {
    const updated = this.st.retry.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
    this.event("job:enqueued", updated, now);
    return updated;
  }

  private deleteJob(id: string): void {
    this.st.deleteJob.run(id);
    this.st.deleteEventsOfJob.run(id);
  }

  private requireRow(jobId: string): JobRow {
    const row = this.st.jobById.get(jobId) as JobRow | undefined;
    if (row === undefined) throw new JobNotFoundError(jobId);
    return row;
  }

  private tailPosition(queue: string): number {
    return ((this.st.tailPosition.pluck().get(queue) as number | null) ?? 0) + 1;
  }

  private headPosition(queue: string): number {
    return ((this.st.headPosition.pluck().get(queue) as number | null) ?? 1) - 1;
  }

  private pausedQueues(): Set<string> {
    return new Set(this.st.pausedQueues.pluck().all() as string[]);
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

  private upsertWorker(info: WorkerInfo, now: number): void {
    this.st.upsertWorker.run({
      name: info.name,
      incarnation: info.incarnation,
      host: info.host,
      pid: info.pid,
      queues: JSON.stringify(info.queues),
      concurrency: info.concurrency,
      state: info.state,
      started_at: info.startedAt,
      heartbeat_at: now,
      current_jobs: JSON.stringify(info.currentJobs),
      processed: info.processed,
      failed: info.failed,
    });
  }

  private event(type: JobEventType, row: JobRow, now: number, extra?: Partial<JobEvent>): void {
    this.insertEvent(type, row, row.status as JobStatus, now, extra);
  }

  private insertEvent(type: JobEventType, row: Pick<JobRow, "id" | "queue" | "task" | "attempt" | "worker">, status: JobStatus, now: number, extra?: Partial<JobEvent>): void {
    this.st.insertEvent.run(now, type, row.id, row.queue, row.task, status, row.attempt, row.worker, extra === undefined ? null : JSON.stringify(extra));
  }
}

function rowsChanged(result: RecoverResult): boolean {
  return result.requeued + result.failed > 0;
}

function newJobRecord(job: NewJob, status: JobStatus, now: number, runAt: number | null): Job {
  return {
    id: job.id,
    task: job.task,
    payload: job.payload,
    queue: job.queue,
    status,
    attempt: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    retryOnTimeout: job.retryOnTimeout,
    createdAt: now,
    enqueuedAt: status === "PENDING" ? null : now,
    startedAt: null,
    completedAt: null,
    runAt,
    progress: null,
    result: null,
    error: null,
    worker: null,
    meta: job.meta,
    idempotencyKey: job.idempotencyKey,
    stalls: 0,
    resultTtlSeconds: job.resultTtlSeconds,
    failureTtlSeconds: job.failureTtlSeconds,
  };
}
