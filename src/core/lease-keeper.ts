// Keeps a worker's leases and registry entry alive: one timer per worker, never one per job.
// Each beat extends every held lease in one store call and reports the leases the store refused.
import type { Logger } from "./logger.js";
import type { Lease, Store } from "./store.js";
import type { WorkerInfo } from "./job.js";

/** What the keeper needs from its worker. */
export interface LeaseHolder {
  /** The worker's name. */
  readonly name: string;
  leases(): Lease[];
  info(): WorkerInfo;
  /** The store refused these leases: the jobs were canceled, or taken over after a stall. */
  onLeasesLost(jobIds: string[]): void;
  /** The registry entry was taken by a newer incarnation of the same name. */
  onSuperseded(): void;
}

/** How often a worker extends its leases: every third of the lease, so one failed beat is survived. */
export function extendIntervalMs(leaseMs: number): number {
  return Math.max(50, Math.floor(leaseMs / 3));
}

/**
 * How much of its lease a claimed job must surely have left to start: the first extension of
 * its lease comes up to one beat later, so a job started with less could expire before it.
 */
export function leaseStartMarginMs(leaseMs: number): number {
  return extendIntervalMs(leaseMs);
}

/** Extends leases and heartbeats the registry every `intervalMs`. */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly holder: LeaseHolder,
    private readonly leaseMs: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.beating === null) this.beating = this.beat().finally(() => (this.beating = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
  }

  /** One beat: extend leases, then refresh the registry entry. */
  async beat(): Promise<void> {
    try {
      const leases = this.holder.leases();
      if (leases.length > 0) {
        const lost = await this.store.extendLeases(this.holder.name, leases, this.leaseMs);
        if (lost.length > 0) this.holder.onLeasesLost(lost);
      }
      const alive = await this.store.heartbeatWorker(this.holder.info());
      if (!alive) this.holder.onSuperseded();
    } catch (error) {
      // The store may be restarting; the next beat tries again, and leases have slack for it.
      this.log.warn("heartbeat failed", { error: String(error) });
    }
  }
}
