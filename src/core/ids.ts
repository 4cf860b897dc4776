// Job ids: "job_" + 10 chars of millisecond time + 16 random chars, Crockford base32.
// Lexical order follows creation time, and ids made in one process are strictly increasing,
// which keeps "newest first" listings and cursors simple in every store.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
let lastRandom: number[] = [];
let lastTimeText = "";

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

// Random bytes are read 4 KiB at a time: one read per 256 ids instead of one per millisecond.
let pool = Buffer.alloc(0);
let poolAt = 0;

function freshRandom(): number[] {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const digits: number[] = [];
  for (let i = 0; i < 16; i++) digits.push((pool[poolAt + i] ?? 0) % 32);
  poolAt += 16;
  return digits;
}

function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    const d = next[i] ?? 0;
    if (d < 31) {
      next[i] = d + 1;
      return next;
    }
    next[i] = 0;
  }
  return freshRandom();
}

/** A new time-sortable job id, strictly greater than the previous one made by this process. */
export function newJobId(nowMs: number = Date.now()): string {
  if (nowMs <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = nowMs;
    lastTimeText = encodeTime(nowMs);
    lastRandom = freshRandom();
  }
  let random = "";
  for (const d of lastRandom) random += ALPHABET[d];
  return `job_${lastTimeText}${random}`;
}

/** A random opaque token, used for leases and worker incarnations. */
export function newToken(bytes = 12): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * Lease tokens for one store (one per claim, shared by its jobs): a random part made once, then a counter. Unique across
 * processes and claims like fresh random tokens, without reading random bytes on every claim.
 * (A lease token fences out stale workers; it is not a secret.)
 */
export class TokenSequence {
  private readonly prefix = newToken(9);
  private count = 0;

  next(): string {
    this.count += 1;
    return `${this.prefix}${this.count.toString(36)}`;
  }
}
