// Signed-out dashboard sessions on Redis: one key per revocation, `revoked-session:<id>`, whose
// TTL ends when the session would have expired, so Redis itself forgets them (bounded memory).
import { checkSessionRevocation } from "../../core/session-revocation.js";
import type { RedisKeys } from "./keys.js";
import type { RedisConnection } from "./scripts.js";

/** What the revocations borrow from their store. */
export interface RedisSessionsDeps {
  redis: RedisConnection;
  keys: RedisKeys;
  call<T>(fn: () => Promise<T>): Promise<T>;
  /** The store's now (the Redis server's clock, or a test clock). */
  now(): Promise<number>;
  /** A test clock, when the store has one: expiry is then read against it, not Redis's own clock. */
  testNow: (() => number) | null;
}

/** The session revocations of the Store contract, on Redis. */
export class RedisSessions {
  constructor(private readonly d: RedisSessionsDeps) {}

  async revoke(sessionId: string, expiresAt: number): Promise<void> {
    checkSessionRevocation(sessionId, expiresAt);
    const ttlMs = expiresAt - (await this.d.now());
    if (ttlMs <= 0) return;
    // The value is the expiry itself, so a store on a test clock can compare it (see isRevoked).
    await this.d.call(() => this.d.redis.set(this.d.keys.revokedSession(sessionId), String(expiresAt), "PX", ttlMs));
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    checkSessionRevocation(sessionId);
    const value = await this.d.call(() => this.d.redis.get(this.d.keys.revokedSession(sessionId)));
    if (value === null) return false;
    // On the server's clock the TTL decides; a test clock moves apart from it.
    return this.d.testNow === null || Number(value) > this.d.testNow();
  }
}
