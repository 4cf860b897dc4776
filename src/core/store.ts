// The store contract: every state transition of a job is one atomic method here.
// Implementations live in src/stores/* and pass test/store-contract.ts; core never names one.
import type { JobEvent } from "./events.js";
import type { ClaimedJob, DependencyOutcome, Job, JobError, JobFilter, JobPage, Json, MinuteFinishes, NewJob, QueueStats, WorkerInfo } from "./job.js";
import type { JobStatus } from "./job-states.js";
import type { LimitPage, LimitSetting, LimitUsage, RateLimit } from "./limits.js";
import type { NewSchedule, Overlap, Schedule } from "./schedule.js";

/** Most events of one job that `jobEvents` answers (its first ones): a job retried without end keeps a long timeline. */
export const MAX_JOB_EVENTS = 1000;

/** Result of enqueueing one job: the stored job, and whether this call created it. */
export interface EnqueueResult {
  job: Job;
  /** False when an idempotency key matched an existing job; nothing new was stored. */
  created: boolean;
}

/** A worker's claim request: up to `limit` jobs from `queues`, in strict priority order. */
export interface ClaimRequest {
  queues: readonly string[];
  worker: string;
  /**
   * The worker process's incarnation (a random id per start). Every store records it with the
   * lease, so that `registerWorker` can release exactly the jobs of an earlier incarnation of
   * the same name (decision 0010).
   */
  incarnation: string;
  limit: number;
  leaseMs: number;
}

/**
 * An optional capability (decision 0010): a store that can start the next enqueued job for an
 * idle worker without a claim's round trip (Redis: enqueue-one's hand-off, decision 0009). The
 * worker uses it when the store offers it and it is not a burst worker; every other store and
 * worker use only the contract's `claim` and `waitForWork`.
 */
export interface StandingClaims {
  /**
   * Claims as `Store.claim` does; when it finds nothing, it leaves a claim for one job standing
   * and the store starts the next job of these queues for this incarnation as it is enqueued.
   * The worker collects that job with its next claim. Every claim (standing or not) withdraws
   * what stood before.
   */
  claim(request: ClaimRequest): Promise<ClaimedJob[]>;
  /** As `Store.waitForWork`, and also resolves when a job was started for `incarnation` under its standing claim. */
  waitForWork(queues: readonly string[], timeoutMs: number, signal: AbortSignal, incarnation: string): Promise<void>;
  /** Withdraws what stands for a worker that stops; a job handed to it meanwhile goes back to the head of its queue. */
  withdraw(worker: string, incarnation: string): Promise<void>;
}

/**
 * An optional capability (decision 0027): a store that tells a worker, within about a second,
 * that a job leased to it was canceled, instead of leaving it to hear so at its next heartbeat.
 * A notice is a hint, never a verdict: the worker confirms it with `extendLeases` (the lease
 * token decides) before it aborts anything, so a late, repeated or mistaken notice is harmless,
 * and a notice lost (a dropped connection) still reaches the worker at its next heartbeat.
 */
export interface CancelNotices {
  /**
   * Calls `onCancel(jobId)` for jobs canceled while leased to `worker` (this `incarnation`, where
   * the store can tell incarnations apart) until the returned function is called. Resolves once
   * listening: a cancel committed after that is noticed.
   */
  watchCancels(worker: string, incarnation: string, onCancel: (jobId: string) => void): Promise<() => void>;
}

/**
 * An optional capability: a store that can enqueue inside a transaction the application has
 * open on its own connection to the store's database (PostgreSQL). The jobs exist if and only if
 * that transaction commits, and waiting workers hear of them when it does. The Client uses it
 * for `enqueue(…, { tx })`; `tx` is the store's own kind of connection, opaque to the core.
 */
export interface TransactionalEnqueue {
  /** As `Store.enqueue`, on `tx` and inside its transaction: no commit of its own. */
  enqueue(tx: unknown, jobs: readonly NewJob[]): Promise<EnqueueResult[]>;
}

/** A lease held by a worker. */
export interface Lease {
  jobId: string;
  token: string;
}

/** Failing an attempt: retry after `retryDelayMs`, or (null) fail the job for good. */
export interface FailRequest extends Lease {
  error: JobError;
  retryDelayMs: number | null;
  /**
   * The task put the job off (RetryAfter): the attempt is not counted (attempt goes back by one)
   * and `postponements` grows by one; `retryDelayMs` must then be a number.
   */
  postpone?: boolean;
}

/** Storing a limit's settings: a name's default (`key` null) or one key's override. */
export interface UpsertLimitRequest {
  name: string;
  key: string | null;
  concurrency: number | null;
  rate: Required<RateLimit> | null;
  /** A declaration never replaces an operator's setting of the same (name, key). */
  source: "declared" | "operator";
}

/** Outcome of a maintenance pass over expired leases. */
export interface RecoverResult {
  requeued: number;
  failed: number;
}

/** Health of the store, as the server reports it. */
export interface StoreHealth {
  ok: boolean;
  /** Settings of the store that risk data, e.g. Redis persistence off. */
  warnings: string[];
  details: Record<string, Json>;
  /**
   * Why the store refuses writes now (Redis at maxmemory, a full disk): every enqueue, claim,
   * heartbeat and completion fails until it ends. Absent while writes are taken.
   */
  writesRefused?: string;
  /** How full the store is from 0 to 1, where it has a limit it can read (Redis: used_memory over maxmemory). */
  fullness?: number;
}

/** Options of a purge: finished jobs of one status, optionally one queue, older than a time. */
export interface PurgeRequest {
  status: Extract<JobStatus, "COMPLETED" | "FAILED" | "CANCELED">;
  queue?: string;
  finishedBefore: number;
  limit: number;
}

/** Listing events from a position, for resumable streams. */
export interface EventWatchOptions {
  /** Deliver events after this sequence (exclusive), when the store keeps a log. */
  afterSeq?: string;
}

/** Storing a schedule: the checked definition, and when it first fires should it start now. */
export interface UpsertScheduleRequest {
  schedule: NewSchedule;
  /** Store time the request was prepared at: a new or retimed schedule's anchor. */
  now: number;
  /** The first fire time after `now`: used when the schedule is new or its timing changed. */
  nextFireAt: number;
}

/**
 * How an upsert went: created; unchanged (the same definition text: nothing was written, the
 * last fire kept); updated (job or policies changed, timing kept); retimed (cron, every or tz
 * changed: it starts again from `now`, with no backfill).
 */
export type UpsertOutcome = "created" | "unchanged" | "updated" | "retimed";

/** One due fire: its time and the job it makes (carrying `schedule` and the fire's idempotency key). */
export interface ScheduleFire {
  fireAt: number;
  job: NewJob;
}

/**
 * Firing a schedule, prepared by the core from the schedule it read: the fires due (after its
 * catch-up policy) and the fire time after them.
 */
export interface FireScheduleRequest {
  scheduleId: string;
  /**
   * Compare-and-set: the store fires only while the schedule's nextFireAt and definition text
   * are still these, so a fire racing an upsert never makes a job from the old definition.
   */
  expectedNextFireAt: number;
  expectedDefinitionText: string;
  /**
   * Jobs to make, oldest fire first; may be empty (a catch-up of none). Under `skip` or
   * `one_waiting` one request makes at most one job, for its latest fire, when the policy allows
   * it; every other fire counts as skipped.
   */
  fires: readonly ScheduleFire[];
  /** The latest fire time this request accounts for, fired or not. */
  lastFireAt: number;
  nextFireAt: number;
  overlap: Overlap;
}

/** What a fire did: nothing when another process fired first (`fired` false), else the jobs made and the fires its overlap policy skipped. */
export interface FireScheduleResult {
  fired: boolean;
  jobs: Job[];
  skipped: number;
}

/** Due schedules, and the store time they were due at; `now` is null when this process does not run this moment's pass (Redis: another holds the maintenance window). */
export interface DueSchedules {
  now: number | null;
  schedules: Schedule[];
}

/** How many schedules a store holds, paused, and due since before a time (for gauges: no schedule is read). */
export interface ScheduleCounts {
  total: number;
  paused: number;
  /** Running schedules whose next fire is at or before the `dueBefore` asked. */
  overdue: number;
}

/** Listing schedules in id order; `cursor` is the last id of the previous page. */
export interface SchedulePage {
  schedules: Schedule[];
  nextCursor: string | null;
}

/**
 * Where a job stands, for explanations (`jobPlace`): its place among the waiting jobs of its
 * queue when QUEUED, its lease when PROCESSING. Read without a write, from a bounded count.
 */
export interface JobPlace {
  /**
   * QUEUED: how many waiting jobs are ahead of it in its queue (under limits: in its lane, the
   * jobs of its first limit key), counted up to the bound asked; null in any other status.
   */
  ahead: number | null;
  /** True when the count stopped at the bound: at least `ahead` jobs wait ahead of it. */
  aheadAtLeast: boolean;
  /** PROCESSING: when its lease expires (store clock, ms since the epoch); else null. */
  leaseExpiresAt: number | null;
  /** PROCESSING: the worker incarnation that holds its lease; else null. */
  leaseIncarnation: string | null;
}

/**
 * The storage contract every store implements; one atomic operation per method. A transition's
 * consequences for other records (queueing a dependent, freeing a limit's slot, advancing a
 * schedule) belong inside the store operation that causes them, never in a second call from the
 * worker, so that a crash between two calls cannot leave them half done.
 */
export interface Store {
  /** Short name of the implementation, e.g. "sqlite" or "redis". */
  readonly kind: string;
  /** Present when the store offers standing claims (Redis); the worker then uses them. */
  readonly standingClaims?: StandingClaims;
  /** Present when the store pushes cancels of running jobs to their workers; the worker then listens. */
  readonly cancelNotices?: CancelNotices;
  /** Present when the store can enqueue inside the application's own transaction (PostgreSQL). */
  readonly transactionalEnqueue?: TransactionalEnqueue;

  /** The store's notion of now (Redis: server time). Decides leases and schedules. */
  now(): Promise<number>;

  /**
   * Creates jobs atomically (all or none) and returns them in input order. A job's `dependsOn`
   * names stored jobs or earlier jobs of the same call (else DEPENDENCY_NOT_FOUND, nothing
   * stored); it is stored DEFERRED while one is unfinished, and as its policy says when one has
   * already failed or been canceled (decision 0018). Each dependency's `dependents` grows by one.
   */
  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]>;
  /** Moves a PENDING job to QUEUED (or SCHEDULED when its run time is ahead). */
  enqueuePending(jobId: string): Promise<Job>;

  /**
   * Promotes due SCHEDULED jobs, then claims up to `limit` QUEUED jobs in priority order (a
   * `limit` of 0 claims nothing). A job under limits starts only when each admits it (a slot of
   * its concurrency free, a token of its rate), taken in this same atomic operation; within a
   * queue, lanes of limit keys and the unlimited jobs are served round-robin (decision 0023).
   * Every operation that ends a lease frees its slots in that same operation.
   */
  claim(request: ClaimRequest): Promise<ClaimedJob[]>;
  /** Extends leases still held; returns the ids of jobs whose lease was lost. */
  extendLeases(worker: string, leases: readonly Lease[], leaseMs: number): Promise<string[]>;
  /** Completes a job; throws LeaseLostError (changing nothing) when the token is stale. */
  complete(lease: Lease, result: Json): Promise<void>;
  /** Fails an attempt; throws LeaseLostError (changing nothing) when the token is stale. */
  fail(request: FailRequest): Promise<Job>;
  /** Records progress; throws LeaseLostError when the token is stale. */
  progress(lease: Lease, progress: Json): Promise<void>;
  /** Hands a running job back to QUEUED without counting the attempt (graceful stop). */
  release(lease: Lease): Promise<void>;

  /** Moves up to `limit` due SCHEDULED jobs to QUEUED; returns how many moved. */
  promoteDue(limit: number): Promise<number>;
  /** Requeues (or fails with STALLED past `stallLimit`) up to `limit` jobs whose lease expired. */
  recoverExpired(limit: number, stallLimit: number): Promise<RecoverResult>;
  /** Deletes up to `limit` finished jobs past their retention; returns how many. */
  prune(limit: number): Promise<number>;
  /** Deletes finished jobs matching the request, up to its limit; returns how many. */
  purge(request: PurgeRequest): Promise<number>;

  /**
   * Cancels a non-final job (a running one loses its lease) and, in the same operation, every
   * unfinished job it owns (parentId), down its whole subtree; the dependents of each canceled
   * job follow their policies.
   */
  cancel(jobId: string): Promise<Job>;
  /**
   * Puts a FAILED or CANCELED job back to QUEUED with a fresh attempt count. A job that owns
   * jobs (a flow's parent, a batch's callback) is retried with its subtree: every FAILED or
   * CANCELED job of it starts again, and the rest wait (DEFERRED) for what they depend on.
   */
  retry(jobId: string): Promise<Job>;
  /** Retries up to `limit` FAILED jobs (optionally of one queue); returns how many. */
  retryAllFailed(queue: string | null, limit: number): Promise<number>;
  /**
   * Deletes a job that is not running, with every job it owns (its flow subtree). HAS_DEPENDENTS
   * (nothing deleted) while an unfinished job depends on it or a job of its subtree is unfinished.
   */
  remove(jobId: string): Promise<void>;

  /**
   * Under the running job's lease (LEASE_LOST otherwise, nothing stored): creates `jobs` as its
   * children (parentId = the job, flowId = its flow, or the job itself), atomically; every
   * DEFERRED job that waits for the running job now waits for each child too.
   */
  addChildren(lease: Lease, jobs: readonly NewJob[]): Promise<Job[]>;
  /** The job's dependencies as they are now, in its dependsOn order (JOB_NOT_FOUND when there is no such job). */
  dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]>;
  /** The jobs with these ids that exist, in the order asked (at most JOB_BOUNDS.maxDependencies ids). */
  getJobs(jobIds: readonly string[]): Promise<Job[]>;

  /**
   * Stores a limit's settings (decision 0023): a name's default, or one key's override. A
   * `declared` upsert leaves an `operator` setting of the same (name, key) as it is.
   */
  upsertLimit(request: UpsertLimitRequest): Promise<LimitSetting>;
  /** Deletes a limit's setting (an override: its key falls back to the name's default). Nothing when there is none. */
  removeLimit(name: string, key: string | null): Promise<void>;
  /** How one (name, key) stands now: effective settings, running, waiting, tokens. */
  getLimit(name: string, key: string): Promise<LimitUsage>;
  /** Every (name, key) with a running or waiting job or an override, in (name, key) order; `cursor` from the previous page. */
  listLimits(limit: number, cursor: string | null): Promise<LimitPage>;

  getJob(jobId: string): Promise<Job | null>;
  /** Lists jobs newest first; `cursor` comes from the previous page (a malformed or made-up one throws INVALID_CURSOR and lists nothing). */
  listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage>;
  /** The job's events, oldest first, as far as the store keeps them: the first MAX_JOB_EVENTS. */
  jobEvents(jobId: string): Promise<JobEvent[]>;
  stats(): Promise<QueueStats[]>;
  /**
   * Jobs completed and failed for good per queue and minute, from the minute holding `since`
   * (epoch ms) on; only minutes with a finish appear. Redis counts finishes as they happen and
   * keeps about the last hour; SQLite counts the finished jobs it still stores (a job pruned,
   * removed or retried since no longer counts).
   */
  finishesPerMinute(since: number): Promise<MinuteFinishes[]>;

  /**
   * Creates or changes a schedule in one atomic step (see UpsertOutcome); any number of
   * processes may upsert the same definition at once and exactly one creates it.
   */
  upsertSchedule(request: UpsertScheduleRequest): Promise<{ schedule: Schedule; outcome: UpsertOutcome }>;
  getSchedule(scheduleId: string): Promise<Schedule | null>;
  listSchedules(limit: number, cursor: string | null): Promise<SchedulePage>;
  /** Deletes a schedule (its jobs stay); throws SCHEDULE_NOT_FOUND. A schedule added again later starts fresh. */
  removeSchedule(scheduleId: string): Promise<void>;
  /** Stops a schedule firing (nextFireAt null); throws SCHEDULE_NOT_FOUND. Pausing a paused one changes nothing. */
  pauseSchedule(scheduleId: string): Promise<Schedule>;
  /**
   * Fires again from `nextFireAt` (computed from now: fires missed while paused are not made up);
   * anchors an `every` at `now`. Compare-and-set: only while the timing is still
   * `expectedTimingText`, the one `nextFireAt` was computed from; otherwise, or when it is not
   * paused, changes nothing and answers the schedule as it is.
   */
  resumeSchedule(scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Promise<Schedule>;
  /** Counts schedules (all, paused, running ones due at or before `dueBefore`) from indexes, reading none. */
  scheduleCounts(dueBefore: number): Promise<ScheduleCounts>;
  /**
   * Up to `limit` schedules, not paused, whose nextFireAt is at or before the store's now,
   * soonest first, with that now. A store may answer none (and `now` null) to a process while
   * another runs this moment's pass; the compare-and-set fire keeps a fire time to one job either way.
   */
  dueSchedules(limit: number): Promise<DueSchedules>;
  /**
   * One atomic step per due schedule: when nextFireAt and the timing still match (compare-and-
   * set), applies the overlap policy against the last job's status, enqueues the fires' jobs
   * (each under its idempotency key, so a fire time never makes two jobs), records the last
   * job, lastFireAt and nextFireAt. Otherwise changes nothing and answers `fired: false`.
   */
  fireSchedule(request: FireScheduleRequest): Promise<FireScheduleResult>;
  /** Enqueues `job` for the schedule now, outside its timing (lastJobId moves, fire times do not); throws SCHEDULE_NOT_FOUND. */
  triggerSchedule(scheduleId: string, job: NewJob): Promise<Job>;

  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;

  /**
   * Registers a worker incarnation; jobs held by an earlier incarnation of the name go back to
   * QUEUED at once, each counting a stall (FAILED with STALLED past `stallLimit`, as in
   * recoverExpired). Returns how many went back to QUEUED.
   */
  registerWorker(info: WorkerInfo, stallLimit: number): Promise<number>;
  /** Refreshes (or recreates) a worker's registry entry; returns false only when another incarnation now holds the name. */
  heartbeatWorker(info: WorkerInfo): Promise<boolean>;
  unregisterWorker(name: string, incarnation: string): Promise<void>;
  /** Workers whose last heartbeat is within `ttlMs`. */
  listWorkers(ttlMs: number): Promise<WorkerInfo[]>;

  /** Resolves when work may be available on `queues`, after `timeoutMs`, or on abort. */
  waitForWork(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Delivers job events from every process using this store; returns an unsubscribe function. */
  watch(listener: (event: JobEvent) => void, options?: EventWatchOptions): Promise<() => Promise<void>>;

  health(): Promise<StoreHealth>;
  close(): Promise<void>;

  /**
   * Records that a dashboard session was signed out: `isSessionRevoked` answers true for it
   * until `expiresAt` (ms since the epoch, on the store's clock), and then the store forgets it,
   * so revocations take room only while their sessions could still be used. `sessionId` is 1
   * to 128 characters (INVALID_OPTIONS otherwise).
   */
  revokeSession(sessionId: string, expiresAt: number): Promise<void>;
  /** True while a revocation recorded by `revokeSession` for this session has not expired. */
  isSessionRevoked(sessionId: string): Promise<boolean>;

  /**
   * Where a job stands (see JobPlace), or null when there is no such job. Bounded: at most
   * `bound` waiting jobs (or list entries) are looked at, never the whole queue.
   */
  jobPlace(jobId: string, bound: number): Promise<JobPlace | null>;
}
