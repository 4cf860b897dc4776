// The store contract for signed-out dashboard sessions: a revocation is seen by every
// connection until its expiry, then forgotten; bad ids are refused. describeStoreContract runs it.
import { expect } from "vitest";
import type { ManualClock } from "../src/core/clock.js";
import type { Store } from "../src/core/store.js";

/** What a session case gets: the store under test, its clock, and another connection. */
export interface SessionCaseContext {
  store(): Store;
  clock(): ManualClock;
  /** A second connection to the same data, or null when the store has none. */
  peer(): Promise<Store | null>;
}

type Case = (name: string, fn: () => Promise<void>) => void;

/** Declares the session cases with the suite's own `test`, so skip lists and assertion checks apply. */
export function sessionContractCases(test: Case, ctx: SessionCaseContext): void {
  test("keeps a session revocation, seen by every connection, until its expiry", async () => {
    const now = ctx.clock().now();
    expect(await ctx.store().isSessionRevoked("session-a")).toBe(false);
    await ctx.store().revokeSession("session-a", now + 60_000);
    await ctx.store().revokeSession("session-a", now + 60_000);
    expect(await ctx.store().isSessionRevoked("session-a")).toBe(true);
    expect(await ctx.store().isSessionRevoked("session-b")).toBe(false);
    const peer = await ctx.peer();
    if (peer !== null) expect(await peer.isSessionRevoked("session-a")).toBe(true);
    ctx.clock().advance(60_000);
    expect(await ctx.store().isSessionRevoked("session-a")).toBe(false);
  });

  test("stores nothing for a revocation that has already expired", async () => {
    const now = ctx.clock().now();
    await ctx.store().revokeSession("session-old", now - 1);
    expect(await ctx.store().isSessionRevoked("session-old")).toBe(false);
  });

  test("refuses an empty or overlong session id and a bad expiry with INVALID_OPTIONS", async () => {
    const now = ctx.clock().now();
    await expect(ctx.store().revokeSession("", now + 1000)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(ctx.store().revokeSession("x".repeat(129), now + 1000)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(ctx.store().revokeSession("session-c", Number.NaN)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(ctx.store().isSessionRevoked("")).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    expect(await ctx.store().isSessionRevoked("session-c")).toBe(false);
  });
}
