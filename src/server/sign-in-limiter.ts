// Slows down token guessing at the dashboard's sign-in: after a few failures from one address,
// further attempts are refused for a while. In memory, per process.

/** Failures allowed per address within one window. */
export const SIGN_IN_FAILURES_ALLOWED = 10;
/** Length of the window. */
export const SIGN_IN_WINDOW_MS = 5 * 60 * 1000;

/** Counts failed sign-ins per client address. */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when `address` used up its failures in the current window. */
  blocked(address: string): boolean {
    const entry = this.failures.get(address);
    if (entry === undefined) return false;
    if (this.now() - entry.since > SIGN_IN_WINDOW_MS) {
      this.failures.delete(address);
      return false;
    }
    return entry.count >= SIGN_IN_FAILURES_ALLOWED;
  }

  /** Records one failed sign-in from `address`. */
  failed(address: string): void {
    // Bounded: a flood of distinct addresses cannot grow the map without limit.
    if (this.failures.size > 10_000) this.failures.clear();
    const entry = this.failures.get(address);
    if (entry === undefined || this.now() - entry.since > SIGN_IN_WINDOW_MS) this.failures.set(address, { count: 1, since: this.now() });
    else entry.count += 1;
  }
}
