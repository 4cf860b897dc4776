// The PostgreSQL store: jobs in tables of one schema (default `caudex`), every transition one
// transaction on a pooled connection, claims with FOR UPDATE SKIP LOCKED, wake-ups by
// LISTEN/NOTIFY with a fallback poll, and enqueue inside an application's own transaction
// (`enqueueInTransaction`). This class opens the pool and the transactions; the postgres-*.ts
// modules take the steps.
import type pg from "pg";
import { systemClock, type Clock } from "../../core/clock.js";
import { InvalidOptionsError, StoreUnavailableError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, DependencyOutcome, Job, JobFilter, JobPage, Json, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "../../core/job.js";
import type { LimitPage, LimitSetting, LimitUsage } from "../../core/limits.js";
import type { Logger } from "../../core/logger.js";
import type { Schedule } from "../../core/schedule.js";
import type { ClaimRequest, EnqueueResult, EventWatchOptions, FailRequest, JobPlace, Lease, PurgeRequest, RecoverResult, Store, StoreHealth, UpsertLimitRequest } from "../../core/store.js";
import type { DueSchedules, FireScheduleRequest, FireScheduleResult, ScheduleCounts, SchedulePage, TransactionalEnqueue, UpsertOutcome, UpsertScheduleRequest } from "../../core/store.js";
import { WriteRefusals } from "../../core/write-refusals.js";
import { cancelJob, removeJob, retryAllFailed, retryJob, setQueuePaused } from "./postgres-admin.js";
import { claimJobs, extendLeases } from "./postgres-claims.js";
import { PostgresDatabase, PgTx, SCHEMA_NAME, SchemaSql, codeOf, type Queryable, type Tx } from "./postgres-database.js";
import { DependencySteps } from "./postgres-dependencies.js";
import { loadPostgresDriver } from "./postgres-driver.js";
import { enqueueJobs, enqueuePendingJob } from "./postgres-enqueue.js";
import { jobPlace } from "./postgres-job-place.js";
import { watchEvents } from "./postgres-events.js";
import { LimitSteps } from "./postgres-limits.js";
import { pruneExpired, purgeFinished, recoverExpired } from "./postgres-maintenance.js";
import { migratePostgres } from "./postgres-migrate.js";
import { PostgresNotifier } from "./postgres-notifier.js";
import { finishesPerMinute, getJob, jobEvents, listJobs, postgresHealth, queueStats } from "./postgres-reads.js";
import * as schedules from "./postgres-schedules.js";
import { completeJob, failJob, progressJob, releaseJob } from "./postgres-settlements.js";
import { TransitionSteps } from "./postgres-steps.js";
import { heartbeatWorker, isSessionRevoked, liveWorkers, registerWorker, revokeSession, unregisterWorker } from "./postgres-workers.js";

/** The default schema of the store's tables. */
export const DEFAULT_POSTGRES_SCHEMA = "caudex";
// How often the offset between this machine's clock and the server's is measured again.
const CLOCK_SYNC_MS = 60_000;

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** A postgres:// connection string (as DATABASE_URL). Either this or `pool`. */
  url?: string;
  /** An existing node-postgres pool to use instead of opening one (it is not ended by close()). */
  pool?: pg.Pool;
  /** Schema of the store's tables, created when missing (default `caudex`). Lowercase letters, digits and `_`. */
  schema?: string;
  /** Connections of the pool the store opens (default 10). */
  poolSize?: number;
  /**
   * Where the LISTEN connection goes: default the same server as `url`. Behind PgBouncer in
   * transaction mode give a direct connection here; `false` listens nowhere and waiters poll.
   */
  listenUrl?: string | false;
  /** How often waiters look for work and watchers for events while no notification comes (default 1000 ms; watchers at most 250 ms). */
  pollIntervalMs?: number;
  /** Send statements as named prepared statements (default true). Turn off behind a pooler that cannot keep them. */
  preparedStatements?: boolean;
  /** Apply the schema's migrations at connect (default true). */
  migrate?: boolean;
  /** Overrides the clock (tests); default: the server's clock, as an offset measured from this machine's. */
  clock?: Clock;
  /** Where the store reports a LISTEN connection it could not have. */
  logger?: Logger;
}

/** The server's clock, read as this machine's plus the offset measured at connect and every minute. */
class ServerClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Math.round(Date.now() + this.offsetMs);
  }
}

/** A Store on PostgreSQL. */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly schema: string;
  private readonly steps = new TransitionSteps();
  private readonly deps: DependencySteps;
  private readonly limits = new LimitSteps();
  /** Enqueue inside the application's own transaction: `tx` is its pg client after BEGIN. */
  readonly transactionalEnqueue: TransactionalEnqueue = {
    enqueue: (tx, jobs) => this.enqueueInTransaction(tx as Queryable, jobs),
  };
  private closed = false;
  private clockTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly db: PostgresDatabase,
    private readonly notifier: PostgresNotifier,
    private readonly clock: Clock,
    private readonly ownsPool: boolean,
  ) {
    this.schema = db.sql.schema;
    this.deps = new DependencySteps(this.steps);
    this.steps.settler = this.deps;
  }

  /** Opens the pool, applies the migrations, and measures the server's clock. */
  static async connect(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const driver = loadPostgresDriver();
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    if (!SCHEMA_NAME.test(schema)) throw new InvalidOptionsError(`Invalid PostgreSQL schema name "${schema}": use 1 to 48 lowercase letters, digits and _, starting with a letter or _`);
    if (options.url === undefined && options.pool === undefined) throw new InvalidOptionsError("The PostgreSQL store needs a connection string (url) or a pool");
    const describe = describeUrl(options.url);
    const pool =
      options.pool ??
      new driver.Pool({ connectionString: options.url, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000, application_name: "caudex" });
    // A connection that the server drops must not crash the process: an idle one's error comes
    // to the pool, a checked-out one's to the client itself (its query rejects as well), and
    // without a listener Node throws it. The next transaction opens a new connection.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => client.on("error", () => undefined));
    const sql = new SchemaSql(schema, driver, options.preparedStatements ?? true);
    const serverClock = options.clock === undefined ? new ServerClock() : null;
    const db = new PostgresDatabase(pool, sql, new WriteRefusals(() => (options.clock ?? systemClock).now()), describe);
    const listenUrl = options.listenUrl === false ? undefined : (options.listenUrl ?? options.url);
    const open =
      listenUrl === undefined
        ? null
        : async (): Promise<pg.Client> => {
            const client = new driver.Client({ connectionString: listenUrl, connectionTimeoutMillis: 10_000, application_name: "caudex-listen" });
            client.on("error", () => undefined);
            await client.connect();
            return client;
          };
    const notifier = new PostgresNotifier(sql.channel, open, options.pollIntervalMs ?? 1000);
    const store = new PostgresStore(db, notifier, options.clock ?? (serverClock as ServerClock), options.pool === undefined);
    try {
      if (options.migrate !== false) {
        const client = await pool.connect();
        try {
          await migratePostgres(client, schema);
        } finally {
          client.release();
        }
      }
      if (serverClock !== null) await store.syncClock(serverClock);
    } catch (error) {
      await store.close();
      const translated = db.translate(error);
      if (translated instanceof StoreUnavailableError) throw translated;
      throw new StoreUnavailableError(`Cannot open the PostgreSQL store ${describe}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (serverClock !== null) {
      store.clockTimer = setInterval(() => void store.syncClock(serverClock).catch(() => undefined), CLOCK_SYNC_MS);
      store.clockTimer.unref();
    }
    return store;
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    return this.write((tx) => enqueueJobs(tx, this.steps, this.deps, jobs, this.clock.now()));
  }

  /**
   * Enqueues on the application's own client, inside the transaction it has open: the jobs exist
   * if and only if that transaction commits, and waiting workers hear of them when it does. The
   * statements run under a savepoint, so a refused batch leaves the application's transaction usable.
   */
  async enqueueInTransaction(client: Queryable, jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (this.closed) throw new StoreUnavailableError("The PostgreSQL store is closed");
    if (typeof client !== "object" || client === null || typeof (client as { query?: unknown }).query !== "function")
      throw new InvalidOptionsError("tx must be a node-postgres client (pg.Client or pg.PoolClient) with an open transaction");
    try {
      await client.query({ text: "SAVEPOINT caudex_enqueue" });
    } catch (error) {
      // 25P01: no transaction block (no BEGIN yet, or a pg.Pool, whose every query is its own transaction).
      if (codeOf(error) === "25P01") throw new InvalidOptionsError("tx has no open transaction: call BEGIN on that client first (a pg.Pool cannot hold one: use a client from pool.connect())", { cause: error });
      throw this.db.translate(error);
    }
    try {
      const results = await this.db.onClient(client, (tx) => enqueueJobs(tx, this.steps, this.deps, jobs, this.clock.now()));
      await client.query({ text: "RELEASE SAVEPOINT caudex_enqueue" });
      return results;
    } catch (error) {
      await client.query({ text: "ROLLBACK TO SAVEPOINT caudex_enqueue" }).catch(() => undefined);
      throw error;
    }
  }

  async enqueuePending(jobId: string): Promise<Job> {
    return this.write((tx) => enqueuePendingJob(tx, this.steps, jobId, this.clock.now()));
  }

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    if (request.limit <= 0) return [];
    return this.write((tx) => claimJobs(tx, this.steps, this.limits, request, this.clock.now()));
  }

  async extendLeases(_worker: string, leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    return this.read((tx) => extendLeases(tx, leases, leaseMs, this.clock.now()));
  }

  async complete(lease: Lease, result: Json): Promise<void> {
    await this.write((tx) => completeJob(tx, this.steps, lease, result, this.clock.now()));
  }

  async fail(request: FailRequest): Promise<Job> {
    return this.write((tx) => failJob(tx, this.steps, request, this.clock.now()));
  }

  async progress(lease: Lease, progress: Json): Promise<void> {
    await this.write((tx) => progressJob(tx, lease, progress, this.clock.now()));
  }

  async release(lease: Lease): Promise<void> {
    await this.write((tx) => releaseJob(tx, lease, this.clock.now()));
  }

  async promoteDue(limit: number): Promise<number> {
    return this.write((tx) => this.steps.promoteDue(tx, this.clock.now(), limit));
  }

  async recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult> {
    return this.write((tx) => recoverExpired(tx, this.steps, limit, stallLimit, this.clock.now()));
  }

  async prune(limit: number): Promise<number> {
    return this.write((tx) => pruneExpired(tx, this.deps, limit, this.clock.now()));
  }

  async purge(request: PurgeRequest): Promise<number> {
    return this.write((tx) => purgeFinished(tx, this.deps, request));
  }

  async cancel(jobId: string): Promise<Job> {
    return this.write((tx) => cancelJob(tx, this.steps, this.deps, jobId, this.clock.now()));
  }

  async retry(jobId: string): Promise<Job> {
    return this.write((tx) => retryJob(tx, this.steps, this.deps, jobId, this.clock.now()));
  }

  async retryAllFailed(queue: string | null, limit: number): Promise<number> {
    return this.write((tx) => retryAllFailed(tx, this.steps, this.deps, queue, limit, this.clock.now()));
  }

  async remove(jobId: string): Promise<void> {
    await this.write((tx) => removeJob(tx, this.steps, this.deps, jobId, this.clock.now()));
  }

  async addChildren(lease: Lease, jobs: readonly NewJob[]): Promise<Job[]> {
    return this.write(async (tx) => {
      const now = this.clock.now();
      return this.deps.addChildren(tx, lease, jobs, now, async (children) => (await enqueueJobs(tx, this.steps, this.deps, children, now)).map((r) => r.job));
    });
  }

  async dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]> {
    return this.read((tx) => this.deps.outcomes(tx, jobId));
  }

  async getJobs(jobIds: readonly string[]): Promise<Job[]> {
    return this.read((tx) => this.deps.byIds(tx, jobIds));
  }

  async upsertLimit(request: UpsertLimitRequest): Promise<LimitSetting> {
    // A limit raised or removed may let waiting jobs start: waiters look again.
    return this.write(async (tx) => {
      tx.wake();
      return this.limits.upsert(tx, request, this.clock.now());
    });
  }

  async removeLimit(name: string, key: string | null): Promise<void> {
    await this.write(async (tx) => {
      tx.wake();
      await this.limits.remove(tx, name, key);
    });
  }

  async getLimit(name: string, key: string): Promise<LimitUsage> {
    return this.read((tx) => this.limits.usage(tx, name, key, this.clock.now()));
  }

  async listLimits(limit: number, cursor: string | null): Promise<LimitPage> {
    return this.read((tx) => this.limits.list(tx, limit, cursor, this.clock.now()));
  }

  async getJob(jobId: string): Promise<Job | null> {
    return this.read((tx) => getJob(tx, jobId));
  }

  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    return this.read((tx) => listJobs(tx, filter, limit, cursor));
  }

  async jobPlace(jobId: string, bound: number): Promise<JobPlace | null> {
    return this.read((tx) => jobPlace(tx, jobId, bound));
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    return this.read((tx) => jobEvents(tx, jobId));
  }

  async stats(): Promise<QueueStats[]> {
    return this.read((tx) => queueStats(tx, this.clock.now()));
  }

  async finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    return this.read((tx) => finishesPerMinute(tx, since));
  }

  async upsertSchedule(request: UpsertScheduleRequest): Promise<{ schedule: Schedule; outcome: UpsertOutcome }> {
    return this.write((tx) => schedules.upsertSchedule(tx, request));
  }

  async getSchedule(scheduleId: string): Promise<Schedule | null> {
    return this.read((tx) => schedules.getSchedule(tx, scheduleId));
  }

  async listSchedules(limit: number, cursor: string | null): Promise<SchedulePage> {
    return this.read((tx) => schedules.listSchedules(tx, limit, cursor));
  }

  async removeSchedule(scheduleId: string): Promise<void> {
    await this.write((tx) => schedules.removeSchedule(tx, scheduleId));
  }

  async pauseSchedule(scheduleId: string): Promise<Schedule> {
    return this.write((tx) => schedules.pauseSchedule(tx, scheduleId));
  }

  async resumeSchedule(scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Promise<Schedule> {
    return this.write((tx) => schedules.resumeSchedule(tx, scheduleId, now, nextFireAt, expectedTimingText));
  }

  async scheduleCounts(dueBefore: number): Promise<ScheduleCounts> {
    return this.read((tx) => schedules.scheduleCounts(tx, dueBefore));
  }

  async dueSchedules(limit: number): Promise<DueSchedules> {
    const now = this.clock.now();
    return { now, schedules: await this.read((tx) => schedules.dueSchedules(tx, now, limit)) };
  }

  async fireSchedule(request: FireScheduleRequest): Promise<FireScheduleResult> {
    return this.write((tx) => schedules.fireSchedule(tx, request, (t, jobs) => enqueueJobs(t, this.steps, this.deps, jobs, this.clock.now())));
  }

  async triggerSchedule(scheduleId: string, job: NewJob): Promise<Job> {
    return this.write((tx) => schedules.triggerSchedule(tx, scheduleId, job, (t, jobs) => enqueueJobs(t, this.steps, this.deps, jobs, this.clock.now())));
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.write((tx) => setQueuePaused(tx, queue, true));
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.write((tx) => setQueuePaused(tx, queue, false));
  }

  async registerWorker(info: WorkerInfo, stallLimit: number): Promise<number> {
    return this.write((tx) => registerWorker(tx, this.steps, info, stallLimit, this.clock.now()));
  }

  async heartbeatWorker(info: WorkerInfo): Promise<boolean> {
    return this.read((tx) => heartbeatWorker(tx, info, this.clock.now()));
  }

  async unregisterWorker(name: string, incarnation: string): Promise<void> {
    await this.read((tx) => unregisterWorker(tx, name, incarnation));
  }

  async listWorkers(ttlMs: number): Promise<WorkerInfo[]> {
    return this.read((tx) => liveWorkers(tx, this.clock.now() - ttlMs));
  }

  async waitForWork(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.notifier.wait(queues, timeoutMs, signal);
  }

  async watch(listener: (event: JobEvent) => void, options: EventWatchOptions = {}): Promise<() => Promise<void>> {
    const stop = await this.read((tx) => watchEvents(tx, this.notifier, listener, options.afterSeq));
    return async () => stop();
  }

  async health(): Promise<StoreHealth> {
    try {
      const pool = this.db.pool;
      const health = await postgresHealth(this.db.reads(), {
        schema: this.schema,
        notifications: this.notifier.listening ? "listen" : "polling",
        poolConnections: pool.totalCount,
        poolIdle: pool.idleCount,
        poolWaiting: pool.waitingCount,
      });
      if (!this.notifier.listening && this.notifier.lastError !== null) health.warnings.push(`no LISTEN connection (${this.notifier.lastError}): workers poll for work`);
      const refused = this.db.refusals.recent();
      return refused === null ? health : { ...health, writesRefused: refused };
    } catch (error) {
      return { ok: false, warnings: [], details: { error: error instanceof Error ? error.message : String(error) } };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.clockTimer !== null) clearInterval(this.clockTimer);
    await this.notifier.close();
    if (this.ownsPool) await this.db.pool.end().catch(() => undefined);
  }

  async revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    await this.write((tx) => revokeSession(tx, sessionId, expiresAt, this.clock.now()));
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    return this.read((tx) => isSessionRevoked(tx, sessionId, this.clock.now()));
  }

  /** Runs `fn` in one transaction; wakes local waiters when it committed and asked for it. */
  private async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("The PostgreSQL store is closed");
    let woken: string[] = [];
    const result = await this.db.transaction(async (tx) => {
      const value = await fn(tx);
      woken = [...(tx as PgTx).wakes];
      return value;
    });
    if (woken.length > 0) this.notifier.changed(woken);
    return result;
  }

  /** Runs `fn` on the pool: single statements, each atomic by itself. */
  private async read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("The PostgreSQL store is closed");
    try {
      return await fn(this.db.reads());
    } catch (error) {
      throw this.db.translate(error);
    }
  }

  private async syncClock(clock: ServerClock): Promise<void> {
    const before = Date.now();
    const row = (await this.db.reads().row<{ ms: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms")) as { ms: number };
    const after = Date.now();
    clock.offsetMs = row.ms - (before + after) / 2;
  }
}

/** A connection string without its password, for messages. */
function describeUrl(url: string | undefined): string {
  if (url === undefined) return "(pool)";
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${parsed.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}
