// How a worker settles the jobs it ran: a completion or a failure (with the retry decision and
// its backoff) is sent to the store under the job's lease, in the background, and counted once
// the store took it. Errors are reported, never thrown: a settlement the store refused or could
// not take leaves the job to its lease, and maintenance runs it again (at least once, not lost).
import { backoffDelayMs } from "./backoff.js";
import { CaudexError, hasCode } from "./errors.js";
import type { TypedEmitter, WorkerEvents } from "./events.js";
import type { ClaimedJob, JobError, Json } from "./job.js";
import type { Logger } from "./logger.js";
import type { RunningJob } from "./running-job.js";
import { JOB_BOUNDS } from "./job-rules.js";
import type { Store } from "./store.js";
import { endAttempt } from "./tracing.js";

/**
 * The retry rule of a failed attempt, for every worker (in-process or over HTTP): retried after
 * its backoff while attempts remain and the failure is `retryable`; null fails the job for good.
 */
export function retryDelayFor(job: Pick<ClaimedJob, "attempt" | "maxAttempts" | "backoff">, retryable: boolean): number | null {
  return retryable && job.attempt < job.maxAttempts ? backoffDelayMs(job.backoff, job.attempt) : null;
}

/** Settlements of one worker, with its processed and failed counts. */
export class JobSettlement {
  processed = 0;
  failed = 0;
  private inFlight = 0;
  private idle: { done: Promise<void>; resolve: () => void } | null = null;

  constructor(
    private readonly store: Store,
    private readonly workerName: string,
    private readonly events: TypedEmitter<WorkerEvents>,
    private readonly log: Logger,
  ) {}

  /** Completes a job with its task's result. */
  complete(entry: RunningJob, result: Json): void {
    entry.done = true;
    const { job } = entry;
    endAttempt(job, null);
    const lease = { jobId: job.id, token: job.leaseToken };
    this.track(
      job.id,
      this.store.complete(lease, result),
      () => (this.processed += 1),
      (error) => {
        // Only a result the store cannot encode (encodeResult: a BigInt, a cycle) fails the job for
        // good; any other error is the store's, and the lease's expiry will run the job again.
        if (!(error instanceof CaudexError) || error.code !== "TASK_ERROR") return false;
        // Called from a promise reaction: a store that throws instead of rejecting must still
        // end up in report(), not in an unhandled rejection.
        let failure: Promise<unknown>;
        try {
          failure = this.store.fail({ ...lease, error: { code: "TASK_ERROR", message: error.message }, retryDelayMs: null });
        } catch (thrown) {
          failure = Promise.reject(thrown);
        }
        this.track(job.id, failure, () => (this.failed += 1));
        return true;
      },
    );
  }

  /**
   * Fails a job's attempt: retried after its backoff while attempts remain and `retryable`; put
   * off by `postponeMs` (RetryAfter) without counting the attempt, while it has postponements left.
   */
  fail(entry: RunningJob, error: JobError, retryable: boolean, postponeMs?: number): void {
    entry.done = true;
    const { job } = entry;
    if (postponeMs !== undefined && job.postponements >= JOB_BOUNDS.maxPostponements) {
      error = { code: "POSTPONED_TOO_OFTEN", message: `The task put the job off ${job.postponements} times (RetryAfter); the most is ${JOB_BOUNDS.maxPostponements}` };
      postponeMs = undefined;
      retryable = false;
    }
    const postpone = postponeMs !== undefined;
    const retryDelayMs = postponeMs !== undefined ? postponeMs : retryDelayFor(job, retryable);
    endAttempt(job, error, retryDelayMs !== null);
    const settlement = this.store.fail({ jobId: job.id, token: job.leaseToken, error, retryDelayMs, ...(postpone ? { postpone: true } : {}) });
    this.track(job.id, settlement, () => {
      if (retryDelayMs === null) this.failed += 1;
    });
  }

  /** Says why a settlement did not take, as an event and a log line. */
  report(jobId: string, error: unknown): void {
    if (hasCode(error, "LEASE_LOST")) {
      this.events.emit("worker:lease-lost", { name: this.workerName, jobId });
      this.log.warn("lease lost; the job's outcome was discarded", { job: jobId });
      return;
    }
    // The lease will expire and maintenance will requeue the job: at-least-once, not lost.
    this.events.emit("worker:error", { name: this.workerName, error });
    this.log.error("could not settle job; it will be recovered when its lease expires", { job: jobId, error: String(error) });
  }

  /** Hands back a job that never started; a stale token (the store already recovered the job) changes nothing. */
  release(jobId: string, token: string): void {
    let release: Promise<unknown>;
    try {
      release = this.store.release({ jobId, token });
    } catch (thrown) {
      release = Promise.reject(thrown);
    }
    this.track(jobId, release, () => undefined, (error) => hasCode(error, "LEASE_LOST"));
  }

  /** True while a settlement sent is still on its way to the store. */
  get settling(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves once every settlement sent so far has ended. */
  async drain(): Promise<void> {
    if (this.inFlight === 0) return;
    if (this.idle === null) {
      let resolve = (): void => undefined;
      const done = new Promise<void>((r) => (resolve = r));
      this.idle = { done, resolve };
    }
    await this.idle.done;
  }

  /**
   * Counts a settlement until it ends (one reaction per settlement: a worker sends thousands a
   * second). `recover` may take over an error (and track a follow-up); otherwise it is reported.
   */
  private track(jobId: string, settlement: Promise<unknown>, onSettled: () => void, recover?: (error: unknown) => boolean): void {
    this.inFlight += 1;
    settlement.then(
      () => {
        try {
          onSettled();
        } finally {
          this.ended();
        }
      },
      (error: unknown) => {
        try {
          if (recover?.(error) !== true) this.report(jobId, error);
        } finally {
          this.ended();
        }
      },
    );
  }

  private ended(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0 && this.idle !== null) {
      const { resolve } = this.idle;
      this.idle = null;
      resolve();
    }
  }
}
