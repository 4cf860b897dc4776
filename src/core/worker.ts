// The worker: claims jobs from an ordered list of queues, runs their tasks, and settles them.
// It owns the run loop, timeouts and graceful stop; settlements are sent by JobSettlement,
// leases kept by LeaseKeeper and recovery run by Maintenance. Every settlement carries the lease token, so a worker that lost
// its lease cannot change a job any more (the store refuses it). Fencing cannot undo side effects,
// so a job never starts once its lease may have expired: a claim answered when, on this worker's
// monotonic clock, the lease time less one extension interval has passed since it was sent starts
// none of its jobs (no clock of the store's is needed) and hands them back; the release is
// fenced, so if the store already recovered them it changes nothing. Jobs a store hands over with
// no claim of their own (Redis standing claims) are checked by that store the same way.
import { hostname } from "node:os";
import { systemClock, type Clock } from "./clock.js";
import { CaudexError, InvalidOptionsError, LeaseLostError } from "./errors.js";
import { TypedEmitter, type WorkerEvents } from "./events.js";
import { newToken } from "./ids.js";
import type { ClaimedJob, Json, WorkerInfo } from "./job.js";
import { ClaimPipeline } from "./claim-pipeline.js";
import { extendIntervalMs, LeaseKeeper, leaseStartMarginMs, type LeaseHolder } from "./lease-keeper.js";
import { silentLogger, type Logger } from "./logger.js";
import { DEFAULT_MAINTENANCE, Maintenance } from "./maintenance.js";
import { JobSettlement } from "./job-settlement.js";
import { JobLog } from "./job-log.js";
import { asLogger } from "./pino-logger.js";
import { RunningJob, RunningJobs, type ProgressReporter } from "./running-job.js";
import { ProcessPool } from "./process-pool.js";
import { WORKER_DEFAULTS, workerProblems, type WorkerOptions } from "./worker-options.js";

export type { WorkerOptions } from "./worker-options.js";
import type { Lease, StandingClaims, Store } from "./store.js";
import { TaskRegistry, type TaskContext } from "./task.js";
import { executeTask } from "./task-execution.js";
import { loadTracing, traceAttempt } from "./tracing.js";
import { JobLinks } from "./job-links.js";
import { Limits } from "./limit-control.js";
import type { ClientDefaults } from "./enqueue-options.js";
import type { ScheduleDefinition } from "./schedule.js";
import { upsertDeclared } from "./schedules.js";

// The timeout sweep runs on one timer per worker; 50 ms is the precision of timeouts.
const TIMEOUT_SWEEP_MS = 50;
const ERROR_BACKOFF_MAX_MS = 5000;

/** Runs tasks for jobs claimed from a store. */
export class Worker {
  readonly name: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly events = new TypedEmitter<WorkerEvents>();
  private readonly store: Store;
  private readonly tasks: TaskRegistry;
  private readonly leaseMs: number;
  private readonly maxJobs: number;
  private readonly burst: boolean;
  /** The store's standing claims, when it has them and this worker waits for work. */
  private readonly standing: StandingClaims | null;
  private readonly gracePeriodMs: number;
  private readonly idleWaitMs: number;
  private readonly declared: readonly ScheduleDefinition[];
  private readonly jobDefaults: Partial<ClientDefaults>;
  private readonly log: Logger;
  private readonly incarnation = newToken(9);
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly running = new RunningJobs();
  // One reporter for every job (made once, not per job): the store checks each report's token.
  private readonly reportProgress: ProgressReporter = (job, value) => this.store.progress({ jobId: job.id, token: job.leaseToken }, value);
  private readonly settlement: JobSettlement;
  private readonly jobLog: JobLog;
  private readonly links: JobLinks;
  private readonly keeper: LeaseKeeper;
  private readonly holder: LeaseHolder;
  /** Stops the store's cancel notices (decision 0027), when it sends them. */
  private stopCancelNotices: (() => void) | null = null;
  /** Jobs named by cancel notices, checked together in one `extendLeases` call. */
  private readonly noticed = new Set<string>();
  private checkingNotices = false;
  private readonly maintenance: Maintenance | null;
  /** Stalls a job may have before it fails with STALLED, here and in maintenance. */
  private readonly stallLimit: number;
  private readonly pool: ProcessPool | null;
  private state: WorkerInfo["state"] = "starting";
  private claimed = 0;
  private stopping = false;
  private wake = new AbortController();
  private nudge: (() => void) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private graceMs: number;
  private stopRequestedAt = 0;

  constructor(options: WorkerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.tasks = options.tasks instanceof TaskRegistry ? options.tasks : new TaskRegistry(options.tasks);
    this.name = options.name ?? `${hostname()}-${process.pid}`;
    this.queues = options.queues ?? WORKER_DEFAULTS.queues;
    this.concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
    this.leaseMs = options.leaseMs ?? WORKER_DEFAULTS.leaseMs;
    this.maxJobs = options.maxJobs ?? Infinity;
    this.burst = options.burst ?? false;
    // A burst worker stops at the first empty claim: nothing may stand for it.
    this.standing = this.burst ? null : (this.store.standingClaims ?? null);
    this.gracePeriodMs = options.gracePeriodMs ?? WORKER_DEFAULTS.gracePeriodMs;
    this.graceMs = this.gracePeriodMs;
    this.idleWaitMs = options.idleWaitMs ?? WORKER_DEFAULTS.idleWaitMs;
    this.declared = options.schedules ?? [];
    this.jobDefaults = options.jobDefaults ?? {};
    this.log = asLogger(options.logger ?? silentLogger).child({ worker: this.name });
    this.jobLog = new JobLog(this.log);
    this.settlement = new JobSettlement(this.store, this.name, this.events, this.log);
    this.links = new JobLinks(this.store, this.tasks, this.jobDefaults);
    const problems = workerProblems({ name: this.name, queues: this.queues, concurrency: this.concurrency, leaseMs: this.leaseMs, gracePeriodMs: this.gracePeriodMs, idleWaitMs: this.idleWaitMs });
    if (problems.length > 0) throw new InvalidOptionsError(`Invalid worker options: ${problems.join("; ")}`);
    this.holder = this.leaseHolder();
    this.keeper = new LeaseKeeper(this.store, this.holder, this.leaseMs, extendIntervalMs(this.leaseMs), this.log);
    this.pool = options.isolation === undefined ? null : new ProcessPool(options.isolation);
    const maintenance = options.maintenance ?? true;
    const settings = { ...DEFAULT_MAINTENANCE, ...(typeof maintenance === "object" ? maintenance : {}) };
    this.stallLimit = settings.stallLimit;
    this.maintenance = maintenance === false ? null : new Maintenance(this.store, settings, this.log);
  }

  /** Registers the worker and starts claiming; resolves once it runs. */
  async start(): Promise<void> {
    if (this.loop !== null) return;
    await loadTracing();
    await upsertDeclared(this.store, this.declared, { tasks: this.tasks, defaults: this.jobDefaults }, this.log);
    // The limits its tasks declare become their names' defaults (an operator's setting stays).
    if (this.store.upsertLimit !== undefined) await new Limits(this.store).declare(this.tasks.all());
    const released = await this.store.registerWorker(this.info(), this.stallLimit);
    if (released > 0) this.log.warn("released jobs of a previous incarnation", { released });
    await this.listenForCancels();
    this.state = "idle";
    this.keeper.start();
    this.maintenance?.start();
    this.sweepTimer = setInterval(() => this.sweepTimeouts(), TIMEOUT_SWEEP_MS);
    this.sweepTimer.unref();
    this.events.emit("worker:started", { name: this.name });
    this.log.info("worker started", { queues: this.queues.join(","), concurrency: this.concurrency });
    this.loop = this.runLoop();
  }

  /** Resolves when the worker has stopped (after maxJobs, burst, or stop()). */
  async finished(): Promise<void> {
    await this.loop;
    await this.stopped;
  }

  /**
   * Stops claiming, lets running jobs finish for up to `gracePeriodMs`, then hands the rest
   * back to QUEUED without counting their attempt. Calling it again shortens the grace to 0.
   */
  async stop(options: { gracePeriodMs?: number } = {}): Promise<void> {
    const grace = options.gracePeriodMs ?? (this.stopping ? 0 : this.gracePeriodMs);
    this.graceMs = Math.min(this.graceMs, grace);
    if (!this.stopping) {
      this.stopping = true;
      this.stopRequestedAt = this.clock.now();
      this.state = "stopping";
      this.events.emit("worker:stopping", { name: this.name, reason: "stop requested" });
    }
    this.wake.abort();
    this.nudge?.();
    await this.finished();
  }

  /** The worker's registry entry as of now. */
  info(): WorkerInfo {
    return {
      name: this.name,
      incarnation: this.incarnation,
      host: hostname(),
      pid: process.pid,
      queues: [...this.queues],
      tasks: this.tasks.names(),
      concurrency: this.concurrency,
      state: this.state,
      startedAt: this.startedAt,
      heartbeatAt: this.clock.now(),
      currentJobs: this.running.ids(),
      processed: this.settlement.processed,
      failed: this.settlement.failed,
    };
  }

  /**
   * Claims and runs jobs until stopped. While claims come back full, the next claim (for half
   * the slots) is sent as soon as that many slots are free, even though the previous claim is
   * not answered yet: the store prepares one batch while the worker runs the other. Never more
   * than `concurrency` jobs are held, and the store answers claims in order, so priority and
   * FIFO hold.
   */
  private async runLoop(): Promise<void> {
    const claims = new ClaimPipeline(
      (limit) => {
        const request = { queues: this.queues, worker: this.name, incarnation: this.incarnation, limit, leaseMs: this.leaseMs };
        return this.standing === null ? this.store.claim(request) : this.standing.claim(request);
      },
      () => this.nudge?.(),
    );
    const half = Math.ceil(this.concurrency / 2);
    let errorDelay = 100;
    let full = false;
    while (!this.stopping && this.claimed < this.maxJobs) {
      const outcome = claims.takeAnswered();
      if (outcome !== null) {
        if (outcome.jobs === undefined) {
          full = false;
          const { error } = outcome;
          this.events.emit("worker:error", { name: this.name, error });
          this.log.warn("claim failed; retrying", { error: String(error), retryInMs: errorDelay });
          await this.idle(errorDelay);
          errorDelay = Math.min(ERROR_BACKOFF_MAX_MS, errorDelay * 2);
          continue;
        }
        errorDelay = 100;
        full = outcome.jobs.length === outcome.limit;
        if (outcome.jobs.length > 0) this.run(outcome.jobs, outcome.sentAt);
        else if (claims.size === 0 && !(await this.noWork())) break;
        continue;
      }
      const free = Math.min(this.concurrency - this.running.size, this.maxJobs - this.claimed) - claims.reserved;
      if (free > 0 && (claims.size === 0 || (full && claims.size === 1 && free >= half))) {
        claims.send(Math.min(free, half));
        continue;
      }
      await this.nextChange();
    }
    // A standing claim is withdrawn at once, not after the grace period: other workers take what comes.
    await this.standing?.withdraw(this.name, this.incarnation).catch(() => undefined);
    // Claims answered after a stop still run: their jobs then get the grace period like the rest.
    for (const late of await claims.drain()) if (late.jobs !== undefined) this.run(late.jobs, late.sentAt);
    await this.shutdown();
  }

  /** Starts the jobs of a claim sent at `sentAt` (performance.now()), unless it came too late for their leases. */
  private run(jobs: readonly ClaimedJob[], sentAt: number): void {
    // Every lease of a claim was granted after it was sent, so this bounds their age from above.
    if (performance.now() - sentAt >= this.leaseMs - leaseStartMarginMs(this.leaseMs)) {
      this.skip(jobs);
      return;
    }
    this.claimed += jobs.length;
    this.state = "busy";
    for (const job of jobs) this.execute(job);
  }

  /** Hands back jobs whose lease may have expired before they started; they never run here. */
  private skip(jobs: readonly ClaimedJob[]): void {
    for (const job of jobs) {
      this.events.emit("worker:job-skipped", { name: this.name, jobId: job.id, reason: "lease-expired" });
      this.log.warn("skipped a job whose lease may have expired before it started; handing it back", { job: job.id });
      this.settlement.release(job.id, job.leaseToken);
    }
  }

  /** After an empty claim: false when a burst worker is done, else true once it may claim again. */
  private async noWork(): Promise<boolean> {
    if (this.burst) {
      // A settlement still on its way may queue dependents (decision 0018): claim again after it.
      if (this.running.size === 0 && this.settlement.settling) {
        await this.settlement.drain();
        return true;
      }
      if (this.running.size === 0) return false;
      await this.nextChange();
      return true;
    }
    this.state = this.running.size > 0 ? "busy" : "idle";
    await this.idle(this.idleWaitMs);
    return true;
  }

  /** Waits until a slot is freed, a claim is answered, or the worker is asked to stop. */
  private async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => (this.nudge = resolve));
    this.nudge = null;
  }

  /**
   * Waits for new work, a timeout, or a stop. Always yields to the event loop at least once: a
   * store that answered a wait and a claim at once, again and again (a claim failing at once
   * while Redis is down), would otherwise starve the timers that reconnect it.
   */
  private async idle(timeoutMs: number): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    try {
      await (this.standing === null
        ? this.store.waitForWork(this.queues, timeoutMs, this.wake.signal)
        : this.standing.waitForWork(this.queues, timeoutMs, this.wake.signal, this.incarnation));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 250)));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  private execute(job: ClaimedJob): void {
    const entry = new RunningJob(job, this.clock.now());
    this.running.add(entry);
    void this.runTask(entry);
  }

  private async runTask(entry: RunningJob): Promise<void> {
    const { job } = entry;
    this.jobLog.started(job);
    const outcome = await traceAttempt(job, this.name, () => executeTask(this.tasks, job, () => this.context(entry), this.pool, this.name));
    // A job that timed out, lost its lease or was handed back is already settled.
    if (entry.done) return;
    // The slot is freed at once and the settlement completes in the background: the next
    // claim can then share a store round trip (or transaction) with it. Shutdown waits for it.
    // The deadline is the start plus the timeout, on the worker's clock.
    const durationMs = this.clock.now() - (entry.deadline - job.timeoutMs);
    if (outcome.ok) {
      this.settlement.complete(entry, (outcome.result ?? null) as Json);
      this.jobLog.completed(job, durationMs);
    } else {
      this.settlement.fail(entry, outcome.error, outcome.retryable, outcome.postponeMs);
      this.jobLog.failed(job, outcome.error, outcome.retryable && job.attempt < job.maxAttempts, durationMs);
    }
    this.free(job.id);
  }

  private context(entry: RunningJob): TaskContext {
    return entry.context(this.log, this.reportProgress, this.links);
  }

  private free(jobId: string): void {
    this.running.delete(jobId);
    if (this.running.size === 0 && !this.stopping) this.state = "idle";
    this.nudge?.();
  }

  private sweepTimeouts(): void {
    if (this.running.size === 0) return;
    const now = this.clock.now();
    for (const entry of this.running.list()) {
      if (entry.done || now < entry.deadline) continue;
      entry.abort(new CaudexError("TIMEOUT", `Job ${entry.job.id} timed out after ${entry.job.timeoutMs} ms`));
      // The slot is freed now even if the task ignores its signal.
      const timeout = { code: "TIMEOUT", message: `Timed out after ${entry.job.timeoutMs} ms` } as const;
      this.settlement.fail(entry, timeout, entry.job.retryOnTimeout);
      this.jobLog.failed(entry.job, timeout, entry.job.retryOnTimeout && entry.job.attempt < entry.job.maxAttempts, entry.job.timeoutMs);
      this.free(entry.job.id);
    }
  }

  /** Listens for the store's cancel notices, when it sends them; without them the heartbeat still finds cancels. */
  private async listenForCancels(): Promise<void> {
    const notices = this.store.cancelNotices;
    if (notices === undefined) return;
    try {
      this.stopCancelNotices = await notices.watchCancels(this.name, this.incarnation, (jobId) => this.cancelNoticed(jobId));
    } catch (error) {
      this.log.warn("cannot listen for cancel notices; cancels reach running jobs at the next heartbeat", { error: String(error) });
    }
  }

  /**
   * A notice said a job of this worker was canceled. It is only a hint: the job's lease is
   * checked with the store (one `extendLeases` for every notice that arrived meanwhile), and
   * only a lease the store refuses aborts its task, exactly as the heartbeat's answer does.
   */
  private cancelNoticed(jobId: string): void {
    const entry = this.running.get(jobId);
    if (entry === undefined || entry.done) return;
    this.noticed.add(jobId);
    if (this.checkingNotices) return;
    this.checkingNotices = true;
    void (async () => {
      try {
        while (this.noticed.size > 0) {
          const leases: Lease[] = [];
          for (const id of this.noticed) {
            const held = this.running.get(id);
            if (held !== undefined && !held.done) leases.push({ jobId: id, token: held.job.leaseToken });
          }
          this.noticed.clear();
          if (leases.length === 0) break;
          const lost = await this.store.extendLeases(this.name, leases, this.leaseMs);
          if (lost.length > 0) this.holder.onLeasesLost(lost);
        }
      } catch (error) {
        // The heartbeat asks again within a third of the lease.
        this.log.warn("could not check a canceled job's lease", { error: String(error) });
      } finally {
        this.noticed.clear();
        this.checkingNotices = false;
      }
    })();
  }

  private leaseHolder(): LeaseHolder {
    return {
      name: this.name,
      leases: (): Lease[] =>
        this.running.list().filter((r) => !r.done).map((r) => ({ jobId: r.job.id, token: r.job.leaseToken })),
      info: () => this.info(),
      onLeasesLost: (jobIds: string[]) => {
        for (const jobId of jobIds) {
          const entry = this.running.get(jobId);
          if (entry === undefined || entry.done) continue;
          entry.done = true;
          entry.abort(new LeaseLostError(jobId));
          this.events.emit("worker:lease-lost", { name: this.name, jobId });
          this.log.warn("lease lost (job canceled or taken over); aborting it", { job: jobId });
          this.free(jobId);
        }
      },
      onSuperseded: () => {
        this.log.error("another process registered under this worker name; stopping");
        void this.stop({ gracePeriodMs: 0 });
      },
    };
  }

  private async shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      // After maxJobs or burst, running jobs simply finish (their timeouts bound the wait);
      // after stop(), they get the grace period, which a second stop() shortens to zero.
      this.state = "stopping";
      while (this.running.size > 0 && !(this.stopping && this.clock.now() >= this.stopRequestedAt + this.graceMs)) {
        await new Promise<void>((resolve) => {
          this.nudge = resolve;
          setTimeout(resolve, 50).unref();
        });
        this.nudge = null;
      }
      for (const entry of this.running.list()) {
        if (entry.done) continue;
        entry.done = true;
        entry.abort(new CaudexError("INTERNAL", "Worker is stopping; job handed back to the queue"));
        try {
          await this.store.release({ jobId: entry.job.id, token: entry.job.leaseToken });
        } catch (error) {
          this.settlement.report(entry.job.id, error);
        }
      }
      this.running.clear();
      await this.settlement.drain();
      this.pool?.close();
      if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
      this.stopCancelNotices?.();
      this.stopCancelNotices = null;
      await this.keeper.stop();
      await this.maintenance?.stop();
      try {
        await this.store.unregisterWorker(this.name, this.incarnation);
      } catch (error) {
        this.log.warn("could not unregister worker", { error: String(error) });
      }
      const { processed, failed } = this.settlement;
      this.events.emit("worker:stopped", { name: this.name, processed, failed });
      this.log.info("worker stopped", { processed, failed });
    })();
    await this.stopped;
  }
}

