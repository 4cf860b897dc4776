// Workers that run outside this process and speak to it over HTTP (any language): their claims
// (long-polled), lease extensions, progress and settlements, through the store contract's own
// operations and the Node worker's rules: the same fencing by lease token, the same lease-start
// margin, the same retry and backoff rule, and timeouts enforced here as the Node worker's sweep
// enforces them. The HTTP shapes are the server's business (src/server/routes/worker-protocol.ts).
import { CaudexError, InvalidOptionsError, LeaseLostError, hasCode, type JobErrorCode } from "./errors.js";
import type { ClaimedJob, Job, JobError, Json, WorkerInfo } from "./job.js";
import { JOB_BOUNDS } from "./job-rules.js";
import { retryDelayFor } from "./job-settlement.js";
import { leaseStartMarginMs } from "./lease-keeper.js";
import { silentLogger, type Logger } from "./logger.js";
import { DEFAULT_MAINTENANCE } from "./maintenance.js";
import { RemoteLeases, type HeldLease } from "./remote-leases.js";
import type { Lease, Store } from "./store.js";

/** Bounds of the protocol's requests (the HTTP schemas use the same numbers). */
export const REMOTE_WORKER_BOUNDS = {
  /** Longest claim wait (long-poll): under the server's 30 s request timeout and common proxies' 60 s. */
  maxWaitMs: 25_000,
  /** A claim's wait when the worker names none. */
  defaultWaitMs: 20_000,
  minLeaseMs: 1000,
  maxLeaseMs: 3_600_000,
  defaultLeaseMs: 30_000,
  /** Most leases one heartbeat extends, and most jobs one claim asks for. */
  maxLeases: 1000,
  /** Most claims waiting at once in one process; more answer at once (empty) instead of waiting. */
  maxWaitingClaims: 1000,
} as const;

/** How often overdue remote jobs are failed: the precision of their timeouts. */
const TIMEOUT_SWEEP_MS = 100;
/** Most timed-out jobs remembered (for heartbeats' reasons); each is kept as long as the longest lease. */
const TIMED_OUT_MEMORY = 10_000;

/** A remote worker as it describes itself. */
export interface RemoteWorkerInfo {
  name: string;
  incarnation: string;
  host: string;
  pid: number;
  queues: string[];
  /** The tasks it runs, for the registry (explanations, enqueue warnings); absent: it does not say, any task. */
  tasks?: string[];
  concurrency: number;
  startedAt?: number;
  state?: WorkerInfo["state"];
  processed?: number;
  failed?: number;
}

/** A long-polled claim: up to `limit` jobs of `queues` (priority order), of `tasks` when given. */
export interface RemoteClaimRequest {
  worker: string;
  incarnation: string;
  queues: readonly string[];
  /** Tasks the worker runs; a claimed job of another task fails with UNKNOWN_TASK, as on a Node worker. Null: any task. */
  tasks: readonly string[] | null;
  limit: number;
  leaseMs: number;
  /** Longest wait for work when none is there (0: answer at once). */
  waitMs: number;
  /** Ends the wait early (server shutdown, client gone). */
  signal?: AbortSignal;
  /** Asked after the store answers: true when nobody will receive the jobs, which then go back at once. */
  abandoned?: () => boolean;
}

/** What a claim handed out, and how long after the request its store claim was sent. */
export interface RemoteClaim {
  jobs: ClaimedJob[];
  /** Milliseconds from the request to the store claim that granted these leases (the worker's lease-start check needs it). */
  claimedAfterMs: number;
}

/** A heartbeat: the worker's description and the leases it holds. */
export interface RemoteHeartbeat extends RemoteWorkerInfo {
  leases: readonly Lease[];
  leaseMs: number;
}

/** Why a worker no longer holds a job it reported. */
export type LostReason = "canceled" | "timeout" | "lost";

/** A heartbeat's answer: the jobs the worker must stop, and whether a newer incarnation took its name. */
export interface RemoteHeartbeatResult {
  lost: Array<{ jobId: string; reason: LostReason }>;
  superseded: boolean;
}

/** A failed attempt as a remote worker reports it. */
export interface RemoteFailure {
  /** TASK_ERROR unless the worker says TIMEOUT, UNKNOWN_TASK or INVALID_PAYLOAD. */
  code?: Exclude<JobErrorCode, "STALLED">;
  message: string;
  stack?: string;
  /** A TASK_ERROR may be retried (default true); the other codes follow the Node worker's rules. */
  retryable?: boolean;
  /**
   * Not now (a Node task's RetryAfter): the job waits this long (SCHEDULED) and the attempt is not
   * counted, at most JOB_BOUNDS.maxPostponements times (then it fails with POSTPONED_TOO_OFTEN).
   * Only with a TASK_ERROR that is not marked unretryable.
   */
  retryAfterMs?: number;
}

/** Options of the remote workers' gateway. */
export interface RemoteWorkersOptions {
  /** Stalls before a job a restarted worker held fails with STALLED (as maintenance's). */
  stallLimit?: number;
  logger?: Logger;
}

/** The worker protocol's operations, reached from a Client (`client.remoteWorkers`). */
export class RemoteWorkers {
  private readonly leases = new RemoteLeases();
  // Recent timeouts by job id, so a heartbeat can tell the worker why it lost the job.
  private readonly timedOut = new Map<string, number>();
  private readonly stallLimit: number;
  private readonly log: Logger;
  private sweepTimer: NodeJS.Timeout | null = null;
  private waiting = 0;
  private closed = false;
  // Aborted by close(): every claim waiting for work answers at once.
  private readonly closing = new AbortController();

  constructor(
    private readonly store: Store,
    options: RemoteWorkersOptions = {},
  ) {
    this.stallLimit = options.stallLimit ?? DEFAULT_MAINTENANCE.stallLimit;
    this.log = options.logger ?? silentLogger;
  }

  /** Registers a worker incarnation; returns how many jobs of its earlier incarnation went back to QUEUED. */
  async register(info: RemoteWorkerInfo): Promise<number> {
    return this.store.registerWorker(await this.workerInfo(info, [], "idle"), this.stallLimit);
  }

  /** Removes a worker's registry entry (its jobs stay leased until released or recovered). */
  unregister(name: string, incarnation: string): Promise<void> {
    return this.store.unregisterWorker(name, incarnation);
  }

  /**
   * Claims up to `limit` jobs, waiting up to `waitMs` for work. Jobs whose lease may have
   * expired before the answer (a slow store reply) are handed back unstarted, as on a Node worker.
   */
  async claim(request: RemoteClaimRequest): Promise<RemoteClaim> {
    const started = performance.now();
    const until = started + (this.waiting >= REMOTE_WORKER_BOUNDS.maxWaitingClaims ? 0 : request.waitMs);
    const signal = request.signal === undefined ? this.closing.signal : AbortSignal.any([request.signal, this.closing.signal]);
    this.waiting += 1;
    try {
      for (;;) {
        const sentAt = performance.now();
        const claimed = await this.store.claim({ queues: request.queues, worker: request.worker, incarnation: request.incarnation, limit: request.limit, leaseMs: request.leaseMs });
        const jobs = await this.admit(claimed, sentAt, request);
        if (jobs.length > 0) return { jobs, claimedAfterMs: Math.max(0, Math.round(sentAt - started)) };
        const remaining = until - performance.now();
        if (remaining <= 0 || signal.aborted) return { jobs: [], claimedAfterMs: 0 };
        // Claimed jobs that were all refused (unknown tasks) may hide more: claim again at once.
        if (claimed.length === 0) await this.waitForWork(request.queues, remaining, signal);
      }
    } finally {
      this.waiting -= 1;
    }
  }

  /** Extends the leases a worker holds and refreshes its registry entry; says which jobs it lost and why. */
  async extendLeases(heartbeat: RemoteHeartbeat): Promise<RemoteHeartbeatResult> {
    const lostIds = heartbeat.leases.length === 0 ? [] : await this.store.extendLeases(heartbeat.name, heartbeat.leases, heartbeat.leaseMs);
    const lostSet = new Set(lostIds);
    const held: string[] = [];
    for (const lease of heartbeat.leases) {
      if (lostSet.has(lease.jobId)) {
        this.leases.drop(lease.jobId, lease.token);
        continue;
      }
      held.push(lease.jobId);
      const known = this.leases.get(lease.jobId, lease.token);
      if (known !== undefined) this.leases.extended(known, heartbeat.leaseMs);
      else await this.adopt(lease, heartbeat.leaseMs);
    }
    const lost = await Promise.all(lostIds.map(async (jobId) => ({ jobId, reason: await this.lostReason(jobId) })));
    const state = heartbeat.state ?? (held.length > 0 ? "busy" : "idle");
    const alive = await this.store.heartbeatWorker(await this.workerInfo(heartbeat, held, state));
    return { lost, superseded: !alive };
  }

  /** Records progress under a lease; LEASE_LOST when the token is stale. */
  progress(lease: Lease, value: Json): Promise<void> {
    return this.store.progress(lease, value);
  }

  /**
   * Completes a job under its lease; LEASE_LOST when the token is stale. A result the store
   * cannot keep fails the job for good (TASK_ERROR), as on a Node worker; the answer says which.
   */
  async complete(lease: Lease, result: Json): Promise<"COMPLETED" | "FAILED"> {
    try {
      await this.store.complete(lease, result);
      this.leases.drop(lease.jobId, lease.token);
      return "COMPLETED";
    } catch (error) {
      if (!(error instanceof CaudexError) || (error.code !== "TASK_ERROR" && error.code !== "INVALID_PAYLOAD")) throw error;
      await this.store.fail({ ...lease, error: { code: "TASK_ERROR", message: error.message }, retryDelayMs: null });
      this.leases.drop(lease.jobId, lease.token);
      return "FAILED";
    }
  }

  /** Fails an attempt under its lease: retried after its backoff while attempts remain and the failure allows it. */
  async fail(lease: Lease, failure: RemoteFailure): Promise<Job> {
    if (failure.retryAfterMs !== undefined) return this.postpone(lease, failure, failure.retryAfterMs);
    const held = this.leases.get(lease.jobId, lease.token) ?? (await this.leaseFacts(lease));
    const code = failure.code ?? "TASK_ERROR";
    const retryable = code === "TIMEOUT" ? held.retryOnTimeout : code === "TASK_ERROR" ? failure.retryable !== false : false;
    const error: JobError = { code, message: failure.message };
    if (failure.stack !== undefined) error.stack = failure.stack;
    const job = await this.store.fail({ ...lease, error, retryDelayMs: retryDelayFor(held, retryable) });
    this.leases.drop(lease.jobId, lease.token);
    return job;
  }

  /** Puts a job off without counting its attempt (RetryAfter), as the Node worker's settlement does; past the bound it fails. */
  private async postpone(lease: Lease, failure: RemoteFailure, retryAfterMs: number): Promise<Job> {
    if ((failure.code ?? "TASK_ERROR") !== "TASK_ERROR" || failure.retryable === false) {
      throw new InvalidOptionsError("retry_after_ms puts a job off: it goes with a TASK_ERROR that may be retried, not with another code or retryable: false");
    }
    if (!Number.isInteger(retryAfterMs) || retryAfterMs < 0 || retryAfterMs > JOB_BOUNDS.maxDelayMs) throw new InvalidOptionsError("retry_after_ms must be an integer from 0 to 10 years");
    const held = this.leases.get(lease.jobId, lease.token) ?? (await this.leaseFacts(lease));
    const job =
      held.postponements >= JOB_BOUNDS.maxPostponements
        ? await this.store.fail({
            ...lease,
            error: { code: "POSTPONED_TOO_OFTEN", message: `The task put the job off ${held.postponements} times (RetryAfter); the most is ${JOB_BOUNDS.maxPostponements}` },
            retryDelayMs: null,
          })
        : await this.store.fail({ ...lease, error: { code: "TASK_ERROR", message: failure.message }, retryDelayMs: retryAfterMs, postpone: true });
    this.leases.drop(lease.jobId, lease.token);
    return job;
  }

  /** Hands a job back to QUEUED without counting the attempt (a warm stop); LEASE_LOST when stale. */
  async release(lease: Lease): Promise<void> {
    await this.store.release(lease);
    this.leases.drop(lease.jobId, lease.token);
  }

  /** Stops the timeout sweep and ends every claim waiting for work. */
  close(): void {
    this.closed = true;
    this.closing.abort();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Starts the jobs of a store claim: hands back those too late for their lease, fails those of unknown tasks. */
  private async admit(claimed: ClaimedJob[], sentAt: number, request: RemoteClaimRequest): Promise<ClaimedJob[]> {
    if (claimed.length === 0) return claimed;
    const late = performance.now() - sentAt >= request.leaseMs - leaseStartMarginMs(request.leaseMs);
    if (late || request.abandoned?.() === true || request.signal?.aborted === true || this.closed) {
      if (late) this.log.warn("a claim's answer came too late for its leases; handing its jobs back", { worker: request.worker, jobs: claimed.length });
      await Promise.all(claimed.map((job) => this.store.release({ jobId: job.id, token: job.leaseToken }).catch(ignoreLeaseLost)));
      return [];
    }
    const tasks = request.tasks === null ? null : new Set(request.tasks);
    const jobs: ClaimedJob[] = [];
    for (const job of claimed) {
      if (tasks !== null && !tasks.has(job.task)) {
        const error: JobError = { code: "UNKNOWN_TASK", message: `No task named "${job.task}" is registered on worker ${request.worker}` };
        await this.store.fail({ jobId: job.id, token: job.leaseToken, error, retryDelayMs: null }).catch(ignoreLeaseLost);
        continue;
      }
      this.leases.hold(job, job.timeoutMs, request.leaseMs);
      jobs.push(job);
    }
    if (jobs.length > 0) this.startSweep();
    return jobs;
  }

  private async waitForWork(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    try {
      await this.store.waitForWork(queues, timeoutMs, signal);
    } catch {
      // The store may be restarting: wait a little instead of spinning on claims.
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 250)));
    }
  }

  /** Learns of a lease another process handed out (or this one before a restart), for its timeout. */
  private async adopt(lease: Lease, leaseMs: number): Promise<void> {
    const job = await this.store.getJob(lease.jobId);
    if (job === null || job.status !== "PROCESSING" || job.startedAt === null) return;
    const remaining = job.startedAt + job.timeoutMs - (await this.store.now());
    this.leases.hold({ ...job, leaseToken: lease.token }, remaining, leaseMs);
    this.startSweep();
  }

  /** The facts a failure needs, from the job record, for a lease this process does not hold. */
  private async leaseFacts(lease: Lease): Promise<Pick<HeldLease, "attempt" | "maxAttempts" | "backoff" | "retryOnTimeout" | "postponements">> {
    const job = await this.store.getJob(lease.jobId);
    if (job === null || job.status !== "PROCESSING") throw new LeaseLostError(lease.jobId);
    return job;
  }

  private async lostReason(jobId: string): Promise<LostReason> {
    if (this.timedOut.has(jobId)) return "timeout";
    const job = await this.store.getJob(jobId);
    return job?.status === "CANCELED" ? "canceled" : "lost";
  }

  private async workerInfo(info: RemoteWorkerInfo, currentJobs: string[], state: WorkerInfo["state"]): Promise<WorkerInfo> {
    const now = await this.store.now();
    return {
      name: info.name,
      incarnation: info.incarnation,
      host: info.host,
      pid: info.pid,
      queues: [...info.queues],
      tasks: [...(info.tasks ?? [])],
      concurrency: info.concurrency,
      state: info.state ?? state,
      startedAt: info.startedAt ?? now,
      heartbeatAt: now,
      currentJobs,
      processed: info.processed ?? 0,
      failed: info.failed ?? 0,
    };
  }

  private startSweep(): void {
    if (this.sweepTimer !== null || this.closed) return;
    this.sweepTimer = setInterval(() => void this.sweepTimeouts(), TIMEOUT_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Fails the held jobs past their timeout, as the Node worker's sweep does (retried per retryOnTimeout). */
  private async sweepTimeouts(): Promise<void> {
    const now = performance.now();
    for (const [jobId, at] of this.timedOut) if (now - at > REMOTE_WORKER_BOUNDS.maxLeaseMs) this.timedOut.delete(jobId);
    const overdue = this.leases.takeOverdue();
    if (this.leases.size === 0 && this.timedOut.size === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
    await Promise.all(overdue.map(async (held) => {
      const error: JobError = { code: "TIMEOUT", message: `Timed out after ${held.timeoutMs} ms` };
      try {
        await this.store.fail({ jobId: held.jobId, token: held.token, error, retryDelayMs: retryDelayFor(held, held.retryOnTimeout) });
        if (this.timedOut.size >= TIMED_OUT_MEMORY) this.timedOut.delete(this.timedOut.keys().next().value as string);
        this.timedOut.set(held.jobId, performance.now());
      } catch (thrown) {
        // Settled or recovered meanwhile: nothing to do. Any other error: the lease's expiry runs it again.
        if (!hasCode(thrown, "LEASE_LOST")) this.log.warn("could not fail a remote job past its timeout", { job: held.jobId, error: String(thrown) });
      }
    }));
  }
}

function ignoreLeaseLost(error: unknown): void {
  if (!hasCode(error, "LEASE_LOST")) throw error;
}
