// Which process of those sharing one SQLite file runs a maintenance step: a lease row per step
// in maintenance_leases (006-status-counts.sql), taken with a conditional update and renewed by
// its holder each tick. The steps themselves stay in sqlite-maintenance.ts.
import { randomUUID } from "node:crypto";
import type { Statements } from "./sql-statements.js";

/**
 * How long a taken lease stands. The holder renews it every tick (about 1 s), so it keeps the
 * step while it lives; when it dies or stops, another process takes over within this long.
 */
export const MAINTENANCE_LEASE_MS = 5000;

/** The maintenance leases of one store connection. */
export class MaintenanceLeases {
  private holding = false;

  constructor(
    private readonly st: Statements,
    /** This connection's name in the lease rows. */
    readonly holder: string = randomUUID(),
  ) {}

  /** A read, outside any transaction: true while another holder's lease on `name` stands. */
  heldByOther(name: string, now: number): boolean {
    const row = this.st.maintenanceLease.get(name) as { holder: string; expires_at: number } | undefined;
    return row !== undefined && row.holder !== this.holder && row.expires_at > now;
  }

  /** Inside a write transaction: takes or renews the lease on `name`; false when another holds it. */
  take(name: string, now: number, leaseMs: number = MAINTENANCE_LEASE_MS): boolean {
    const taken = this.st.takeMaintenanceLease.run({ name, holder: this.holder, expires_at: now + leaseMs, now }).changes === 1;
    if (taken) this.holding = true;
    return taken;
  }

  /** Gives up this connection's leases, so that another process takes over at its next tick. */
  release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.st.releaseMaintenanceLeases.run(this.holder);
  }
}
