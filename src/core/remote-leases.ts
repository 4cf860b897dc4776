// The leases this process handed to workers over HTTP (or learned of from their heartbeats):
// each one's timeout deadline and the job facts its settlement needs, so that the server can
// fail a job past its timeout as the Node worker's sweep would. Monotonic time only.
import type { BackoffPolicy, ClaimedJob } from "./job.js";

/** What a remote settlement or timeout needs to know of a held job. */
export interface HeldLease {
  jobId: string;
  token: string;
  attempt: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  retryOnTimeout: boolean;
  /** Times its task put the job off (RetryAfter) before this attempt. */
  postponements: number;
  timeoutMs: number;
  /** performance.now() at which the job times out. */
  deadline: number;
  /** performance.now() after which the lease has surely expired unless extended again. */
  leaseEnd: number;
}

/** Leases past their end by this much are forgotten: maintenance recovers their jobs, not this table. */
const FORGET_AFTER_LEASE_MS = 1000;

/** The held leases of one process, by job id. */
export class RemoteLeases {
  readonly #byId = new Map<string, HeldLease>();

  get size(): number {
    return this.#byId.size;
  }

  /** Records a job just claimed (or adopted) with its remaining time to timeout. */
  hold(job: Pick<ClaimedJob, "id" | "leaseToken" | "attempt" | "maxAttempts" | "backoff" | "retryOnTimeout" | "postponements" | "timeoutMs">, remainingMs: number, leaseMs: number): HeldLease {
    const now = performance.now();
    const held: HeldLease = {
      jobId: job.id,
      token: job.leaseToken,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      backoff: job.backoff,
      retryOnTimeout: job.retryOnTimeout,
      postponements: job.postponements,
      timeoutMs: job.timeoutMs,
      deadline: now + remainingMs,
      leaseEnd: now + leaseMs,
    };
    this.#byId.set(job.id, held);
    return held;
  }

  /** The lease of `jobId` when its token is `token`; a stale token finds nothing. */
  get(jobId: string, token: string): HeldLease | undefined {
    const held = this.#byId.get(jobId);
    return held !== undefined && held.token === token ? held : undefined;
  }

  /** Notes that a heartbeat extended the lease by `leaseMs` from now. */
  extended(held: HeldLease, leaseMs: number): void {
    held.leaseEnd = performance.now() + leaseMs;
  }

  /** Forgets a lease (settled, lost or timed out); a stale token forgets nothing. */
  drop(jobId: string, token: string): void {
    if (this.#byId.get(jobId)?.token === token) this.#byId.delete(jobId);
  }

  /** Removes and returns the leases past their deadline; forgets those whose lease ran out unextended. */
  takeOverdue(): HeldLease[] {
    const now = performance.now();
    const overdue: HeldLease[] = [];
    for (const held of this.#byId.values()) {
      // A worker that stopped heartbeating lost the job to lease recovery, not to its timeout.
      if (now > held.leaseEnd + FORGET_AFTER_LEASE_MS) {
        this.#byId.delete(held.jobId);
      } else if (now >= held.deadline) {
        overdue.push(held);
        this.#byId.delete(held.jobId);
      }
    }
    return overdue;
  }
}
