// Slows down token guessing on every route: after a few distinct wrong credentials from one
// client address, that address gets one credential checked a second for a while (others: 429),
// so guessing slows to a crawl while the right token still gets in. In memory, per process;
// decision 0020 says why.
import { createHmac, randomBytes } from "node:crypto";
import { isIP } from "node:net";

/** Distinct wrong credentials allowed per address within one window. */
export const AUTH_FAILURES_ALLOWED = 10;
/** Length of the window; an address that used up its failures is blocked until it ends. */
export const AUTH_WINDOW_MS = 5 * 60 * 1000;
/**
 * While an address is blocked, one credential from it is still checked this often, so that the
 * right token always gets in (an operator behind the same proxy as a guesser is never locked
 * out) while guessing runs at one try a second: against a token of at least 16 random
 * characters, hopeless.
 */
export const BLOCKED_CHECK_INTERVAL_MS = 1000;
// Addresses tracked at most: the map stays bounded under a flood of distinct addresses.
const MAX_ADDRESSES = 10_000;

interface Entry {
  since: number;
  /** When a credential from the address was last checked while it was blocked. */
  checkedAt: number;
  /** Keyed digests of the distinct wrong credentials seen in this window (at most the allowance). */
  seen: Set<string>;
}

/**
 * The key an address is counted under: an IPv6 address by its /64 network (one host usually
 * holds a whole /64, so counting single addresses would give it 2^64 budgets), anything else
 * (IPv4, IPv4-mapped IPv6) as it is.
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const lower = address.toLowerCase().split("%")[0] ?? "";
  if (lower.includes(".")) return lower.replace(/^::ffff:/, "");
  const [head = "", tail = ""] = lower.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = lower.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** Counts distinct failed credentials per client address and says when one is blocked. */
export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  // A per-process key: the digests of wrong tokens kept here say nothing outside this process.
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  /** How long `address` stays blocked (0 when it is not), for a Retry-After answer. */
  blockedForMs(address: string): number {
    const key = addressKey(address);
    const entry = this.entries.get(key);
    if (entry === undefined) return 0;
    const now = this.now();
    if (now - entry.since > AUTH_WINDOW_MS) {
      this.entries.delete(key);
      return 0;
    }
    // At least 1 ms: at the window's last instant the address is still blocked.
    return entry.seen.size >= AUTH_FAILURES_ALLOWED ? Math.max(1, entry.since + AUTH_WINDOW_MS - now) : 0;
  }

  /**
   * Records a wrong `credential` (an Authorization header, a typed token) from `address`. The
   * same wrong credential again counts once: a client left with an old token after a rotation
   * repeats it and is no guesser; a guesser must send new ones.
   */
  failed(address: string, credential: string): void {
    const key = addressKey(address);
    const digest = createHmac("sha256", this.key).update(credential).digest("base64url").slice(0, 22);
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && now - entry.since <= AUTH_WINDOW_MS) {
      if (entry.seen.size < AUTH_FAILURES_ALLOWED) entry.seen.add(digest);
      return;
    }
    // A new window goes to the end: the map stays in order of window start.
    this.entries.delete(key);
    if (this.entries.size >= MAX_ADDRESSES) this.evictOne(now);
    this.entries.set(key, { since: now, checkedAt: 0, seen: new Set([digest]) });
  }

  /**
   * Checks a presented credential with `verify`; a credential that `verify` finds worth "none"
   * counts as a failure. While `address` is blocked, one credential a second is checked and only
   * the right one gets through; the others are not checked at all.
   */
  check<A extends string>(address: string, credential: string, verify: (credential: string) => A): { access: A } | { blockedForMs: number } {
    const blockedForMs = this.blockedForMs(address);
    if (blockedForMs > 0) {
      const entry = this.entries.get(addressKey(address)) as Entry;
      const now = this.now();
      if (now - entry.checkedAt < BLOCKED_CHECK_INTERVAL_MS) return { blockedForMs };
      entry.checkedAt = now;
      const access = verify(credential);
      return access === "none" ? { blockedForMs } : { access };
    }
    const access = verify(credential);
    if (access === "none") this.failed(address, credential);
    return { access };
  }

  /**
   * Makes room: the oldest entry whose window ended or that is not blocked, else the oldest.
   * A flood of new addresses thus cannot free an address that is blocked now.
   */
  private evictOne(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.since > AUTH_WINDOW_MS || entry.seen.size < AUTH_FAILURES_ALLOWED) {
        this.entries.delete(key);
        return;
      }
    }
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }
}

/** The 429 answer's parts for an address blocked `blockedForMs` more. */
export function throttledAnswer(blockedForMs: number): { retryAfterSeconds: number; message: string } {
  const retryAfterSeconds = Math.ceil(blockedForMs / 1000);
  return {
    retryAfterSeconds,
    message: `Too many wrong tokens from this address: for ${retryAfterSeconds} s only one token a second from it is checked (the right token still works; so does a signed-in dashboard session)`,
  };
}
