// Slows down token guessing at the dashboard's sign-in: after a few failures from one address,
// further attempts are refused for a while. In memory, per process.

/** Failures allowed per address within one window. */
export const SIGN_IN_FAILURES_ALLOWED = 10;
/** Length of the window. */
export const SIGN_IN_WINDOW_MS = 5 * 60 * 1000;
// Addresses tracked at most: the map stays bounded under a flood of distinct addresses.
const MAX_ADDRESSES = 10_000;

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
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry !== undefined && now - entry.since <= SIGN_IN_WINDOW_MS) {
      entry.count += 1;
      return;
    }
    // A new window goes to the end: the map stays in order of window start.
    this.failures.delete(address);
    if (this.failures.size >= MAX_ADDRESSES) this.evictOne(now);
    this.failures.set(address, { count: 1, since: now });
  }

  /**
   * Makes room: the oldest entry whose window ended or that is not blocked, else the oldest.
   * A flood of new addresses thus cannot free an address that is blocked now.
   */
  private evictOne(now: number): void {
    for (const [address, entry] of this.failures) {
      if (now - entry.since > SIGN_IN_WINDOW_MS || entry.count < SIGN_IN_FAILURES_ALLOWED) {
        this.failures.delete(address);
        return;
      }
    }
    const oldest = this.failures.keys().next();
    if (oldest.done !== true) this.failures.delete(oldest.value);
  }
}
