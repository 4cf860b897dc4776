// Coordination of maintenance passes on one Redis namespace: the first process in each window
// (a key set with NX and a short expiry) runs the pass, and the others skip their round trips,
// as every process does when the last pass found nothing due. Not used with a test clock.

/** One maintenance pass per namespace per this window, whichever process gets there first. */
export const MAINTENANCE_WINDOW_MS = 900;

/** What one process knows of the namespace's maintenance windows. */
export class MaintenanceWindow {
  private idleUntil = 0;
  // Until when the key this process last took surely stands: the steps of one pass (due
  // schedules, then promotion) share the window without a second round trip.
  private heldUntil = 0;
  private leasesQuietUntil = 0;
  private expiryQuietUntil = 0;

  /** `takeTick` tries to take this window's key; true when this process got it. */
  constructor(private readonly takeTick: () => Promise<boolean>) {}

  /**
   * Whether this process runs the pass of this window. A process that lost stays out for a few
   * windows: the winner keeps the role while it lives, and another takes over within seconds
   * when it dies. A process that holds the window enters it again at no cost.
   */
  async enter(): Promise<boolean> {
    const asked = Date.now();
    if (asked < this.heldUntil) return true;
    const won = asked >= this.idleUntil && (await this.takeTick());
    // (Counted from before the request: the server's expiry is no earlier.)
    if (won) this.heldUntil = asked + MAINTENANCE_WINDOW_MS;
    if (!won) {
      if (Date.now() >= this.idleUntil) this.idleUntil = Date.now() + 3 * MAINTENANCE_WINDOW_MS;
      this.leasesQuietUntil = this.expiryQuietUntil = Date.now() + MAINTENANCE_WINDOW_MS / 2;
    }
    return won;
  }

  /** Notes what the promotion pass saw: expired leases or finished jobs due for pruning. */
  seen(leasesDue: boolean, expiryDue: boolean): void {
    this.leasesQuietUntil = leasesDue ? 0 : Date.now() + MAINTENANCE_WINDOW_MS / 2;
    this.expiryQuietUntil = expiryDue ? 0 : Date.now() + MAINTENANCE_WINDOW_MS / 2;
  }

  /** True while recovering expired leases would find nothing (or is another process's turn). */
  get leasesQuiet(): boolean {
    return Date.now() < this.leasesQuietUntil;
  }

  /** True while pruning would find nothing (or is another process's turn). */
  get expiryQuiet(): boolean {
    return Date.now() < this.expiryQuietUntil;
  }
}
