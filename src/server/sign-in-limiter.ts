// Slows down token guessing at the dashboard's sign-in: after a few failures from one address,
// further wrong tokens are refused for a while. The right token is never refused (the caller
// checks it first), so a shared proxy address cannot lock operators out. In memory, per process.

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
    return this.blockedForMs(address) > 0;
  }

  /** How long `address` stays blocked (0 when it is not), for a Retry-After answer. */
  blockedForMs(address: string): number {
    const entry = this.failures.get(address);
    if (entry === undefined) return 0;
    const now = this.now();
    if (now - entry.since > SIGN_IN_WINDOW_MS) {
      this.failures.delete(address);
      return 0;
    }
    // At least 1 ms: at the window's last instant the address is still blocked.
    return entry.count >= SIGN_IN_FAILURES_ALLOWED ? Math.max(1, entry.since + SIGN_IN_WINDOW_MS - now) : 0;
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
