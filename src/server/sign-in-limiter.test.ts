// The dashboard's sign-in limiter, on a fake clock.
import { describe, expect, it } from "vitest";
import { SIGN_IN_FAILURES_ALLOWED, SIGN_IN_WINDOW_MS, SignInLimiter } from "./sign-in-limiter.js";

describe("SignInLimiter", () => {
  it("blocks an address after its allowed failures until its window ends", () => {
    let now = 1_000;
    const limiter = new SignInLimiter(() => now);
    for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED; i++) {
      expect(limiter.blocked("10.0.0.1")).toBe(false);
      limiter.failed("10.0.0.1");
    }
    expect(limiter.blocked("10.0.0.1")).toBe(true);
    expect(limiter.blocked("10.0.0.2")).toBe(false);
    now += SIGN_IN_WINDOW_MS + 1;
    expect(limiter.blocked("10.0.0.1")).toBe(false);
  });

  it("tells how long a blocked address stays blocked, and 0 for one that is not", () => {
    let now = 1_000;
    const limiter = new SignInLimiter(() => now);
    for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED - 1; i++) limiter.failed("10.0.0.1");
    expect(limiter.blockedForMs("10.0.0.1")).toBe(0);
    limiter.failed("10.0.0.1");
    expect(limiter.blockedForMs("10.0.0.1")).toBe(SIGN_IN_WINDOW_MS);
    now += SIGN_IN_WINDOW_MS - 1;
    expect(limiter.blockedForMs("10.0.0.1")).toBe(1);
    now += 2;
    expect(limiter.blockedForMs("10.0.0.1")).toBe(0);
  });

  it("keeps a blocked address blocked through a flood of failures from new addresses", () => {
    let now = 1_000;
    const limiter = new SignInLimiter(() => now);
    for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED; i++) limiter.failed("attacker");
    for (let i = 0; i < 25_000; i++) {
      now += 1;
      limiter.failed(`flood-${i}`);
    }
    expect(limiter.blocked("attacker")).toBe(true);
    // The flood's newest addresses are still counted; its oldest made room.
    for (let i = 1; i < SIGN_IN_FAILURES_ALLOWED; i++) limiter.failed("flood-24999");
    expect(limiter.blocked("flood-24999")).toBe(true);
  });
});
