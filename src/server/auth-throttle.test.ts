// The throttle of wrong tokens: the counter on a fake clock, then every kind of route through
// app.inject() (bearer API, event stream, metrics, health, dashboard sign-in and API).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL, FULL_TOKEN, READ, READ_TOKEN, createTestServer, type TestServer } from "../../test/support/server.js";
import { ManualClock } from "../core/clock.js";
import { AUTH_FAILURES_ALLOWED, AUTH_WINDOW_MS, AuthThrottle, BLOCKED_CHECK_INTERVAL_MS, addressKey } from "./auth-throttle.js";

describe("AuthThrottle", () => {
  it("blocks an address after its allowed distinct failures until its window ends", () => {
    let now = 1_000;
    const throttle = new AuthThrottle(() => now);
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) {
      expect(throttle.blockedForMs("10.0.0.1")).toBe(0);
      throttle.failed("10.0.0.1", `guess-${i}`);
    }
    expect(throttle.blockedForMs("10.0.0.1")).toBe(AUTH_WINDOW_MS);
    expect(throttle.blockedForMs("10.0.0.2")).toBe(0);
    now += AUTH_WINDOW_MS - 1;
    expect(throttle.blockedForMs("10.0.0.1")).toBe(1);
    now += 2;
    expect(throttle.blockedForMs("10.0.0.1")).toBe(0);
  });

  it("counts the same wrong credential once, so a client left with an old token is not blocked", () => {
    const throttle = new AuthThrottle(() => 1_000);
    for (let i = 0; i < 100; i++) throttle.failed("10.0.0.1", "Bearer old-token-0123456789");
    expect(throttle.blockedForMs("10.0.0.1")).toBe(0);
  });

  it("checks one credential a second while the address is blocked: the right one gets in, guesses do not", () => {
    let now = 1_000;
    const throttle = new AuthThrottle(() => now);
    const verify = (credential: string) => (credential === "right" ? "full" : "none");
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) expect(throttle.check("10.0.0.1", `guess-${i}`, verify)).toEqual({ access: "none" });
    let checked = 0;
    const counting = (credential: string) => {
      checked += 1;
      return verify(credential);
    };
    expect(throttle.check("10.0.0.1", "another-guess", counting)).toEqual({ blockedForMs: AUTH_WINDOW_MS });
    expect(checked).toBe(1);
    // Within the same second nothing more is checked, not even the right token.
    expect(throttle.check("10.0.0.1", "right", counting)).toEqual({ blockedForMs: AUTH_WINDOW_MS });
    expect(checked).toBe(1);
    now += BLOCKED_CHECK_INTERVAL_MS;
    expect(throttle.check("10.0.0.1", "right", counting)).toEqual({ access: "full" });
    expect(throttle.blockedForMs("10.0.0.1")).toBeGreaterThan(0);
    expect(throttle.check("10.0.0.2", "right", counting)).toEqual({ access: "full" });
  });

  it("counts an IPv6 client by its /64 network and an IPv4-mapped address as IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(addressKey("10.0.0.1")).toBe("10.0.0.1");
    const throttle = new AuthThrottle(() => 1_000);
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) throttle.failed(`2001:db8:1:2::${i + 1}`, `guess-${i}`);
    expect(throttle.blockedForMs("2001:db8:1:2::ffff")).toBeGreaterThan(0);
    expect(throttle.blockedForMs("2001:db8:1:3::1")).toBe(0);
  });

  it("keeps a blocked address blocked through a flood of failures from new addresses", () => {
    let now = 1_000;
    const throttle = new AuthThrottle(() => now);
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) throttle.failed("attacker", `guess-${i}`);
    for (let i = 0; i < 25_000; i++) {
      now += 1;
      throttle.failed(`flood-${i}`, "guess");
    }
    expect(throttle.blockedForMs("attacker")).toBeGreaterThan(0);
    // The flood's newest addresses are still counted; its oldest made room.
    for (let i = 1; i < AUTH_FAILURES_ALLOWED; i++) throttle.failed("flood-24999", `guess-${i}`);
    expect(throttle.blockedForMs("flood-24999")).toBeGreaterThan(0);
  });
});

describe("throttled authentication through the app", () => {
  let server: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dashboardRoot = mkdtempSync(join(tmpdir(), "caudex-throttle-dashboard-"));
  writeFileSync(join(dashboardRoot, "index.html"), "<!doctype html><title>x</title>");
  beforeAll(async () => {
    server = await createTestServer({ deps: { dashboard: { root: dashboardRoot }, clock } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dashboardRoot, { recursive: true, force: true });
  });

  const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) => server.app.inject({ url, remoteAddress, headers });
  const guess = (remoteAddress: string, i: number, url = "/jobs") => get(url, remoteAddress, { authorization: `Bearer wrong-guess-${i}-0123456789` });
  const exhaust = async (remoteAddress: string): Promise<void> => {
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) expect((await guess(remoteAddress, i)).statusCode).toBe(401);
  };

  it("answers 429 RATE_LIMITED with Retry-After on every authenticated route once an address guessed too often", async () => {
    await exhaust("10.1.0.1");
    for (const url of ["/jobs", "/events", "/metrics", "/monitoring/queue/stats", "/dashboard/api/throughput", "/schedules"]) {
      const res = await guess("10.1.0.1", 99, url);
      expect(res.statusCode, url).toBe(429);
      expect(res.json(), url).toMatchObject({ error: { code: "RATE_LIMITED", message: expect.stringContaining("Too many wrong tokens") as string } });
      expect(Number(res.headers["retry-after"]), url).toBe(AUTH_WINDOW_MS / 1000);
    }
    // Another address is not affected.
    expect((await get("/jobs", "10.1.0.2", FULL)).statusCode).toBe(200);
  });

  it("lets the right token in from a blocked address, one check a second, while guesses get 429", async () => {
    await exhaust("10.2.0.1");
    // The one check of this second goes to a guess: refused, and the right token right after it is not checked.
    expect((await guess("10.2.0.1", 99)).statusCode).toBe(429);
    const unchecked = await get("/jobs", "10.2.0.1", FULL);
    expect(unchecked.statusCode).toBe(429);
    expect(unchecked.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    clock.advance(BLOCKED_CHECK_INTERVAL_MS);
    expect((await get("/jobs", "10.2.0.1", FULL)).statusCode).toBe(200);
    clock.advance(BLOCKED_CHECK_INTERVAL_MS);
    expect((await get("/jobs", "10.2.0.1", READ)).statusCode).toBe(200);
    clock.advance(BLOCKED_CHECK_INTERVAL_MS);
    const signIn = await server.app.inject({ method: "POST", url: "/dashboard/session", payload: { token: FULL_TOKEN }, remoteAddress: "10.2.0.1" });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.headers["set-cookie"]).toBeDefined();
    clock.advance(AUTH_WINDOW_MS + 1);
    expect((await get("/jobs", "10.2.0.1", FULL)).statusCode).toBe(200);
  });

  it("keeps a dashboard session signed in before the block working, and counts wrong sign-ins in the same throttle", async () => {
    const signIn = (token: string) => server.app.inject({ method: "POST", url: "/dashboard/session", payload: { token }, remoteAddress: "10.3.0.1" });
    const signedIn = await signIn(READ_TOKEN);
    expect(signedIn.statusCode).toBe(200);
    const cookie = String(signedIn.headers["set-cookie"]).split(";")[0] ?? "";
    for (let i = 0; i < AUTH_FAILURES_ALLOWED / 2; i++) expect((await signIn(`typed-guess-${i}`)).statusCode).toBe(401);
    for (let i = 0; i < AUTH_FAILURES_ALLOWED / 2; i++) await guess("10.3.0.1", i);
    // A guess takes this second's one check; the right token then waits for the next second.
    expect((await guess("10.3.0.1", 98)).statusCode).toBe(429);
    expect((await signIn(FULL_TOKEN)).statusCode).toBe(429);
    expect((await get("/monitoring/queue/stats", "10.3.0.1", { cookie })).statusCode).toBe(200);
    expect((await get("/dashboard/session", "10.3.0.1", { cookie })).json()).toMatchObject({ signed_in: true, access: "read" });
  });

  it("keeps health public for probes and answers a blocked address's token as an anonymous caller", async () => {
    await exhaust("10.4.0.1");
    // (A guess takes this second's one check, so the token after it is not checked.)
    await guess("10.4.0.1", 97, "/monitoring/health");
    const res = await get("/monitoring/health", "10.4.0.1", FULL);
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json<object>())).toEqual(["status"]);
    expect(Object.keys((await get("/monitoring/health", "10.4.0.2", FULL)).json<object>())).toContain("reasons");
  });

  it("counts wrong tokens sent to health, which would otherwise tell a right token by its details", async () => {
    for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) await guess("10.5.0.1", i, "/monitoring/health");
    await guess("10.5.0.1", 96, "/monitoring/health");
    expect((await get("/jobs", "10.5.0.1", FULL)).statusCode).toBe(429);
  });

  it("does not count requests without a token, nor a client repeating one stale token", async () => {
    for (let i = 0; i < 3 * AUTH_FAILURES_ALLOWED; i++) {
      expect((await get("/jobs", "10.6.0.1")).statusCode).toBe(401);
      expect((await get("/jobs", "10.6.0.1", { authorization: "Bearer rotated-away-0123456789" })).statusCode).toBe(401);
    }
    expect((await get("/jobs", "10.6.0.1", FULL)).statusCode).toBe(200);
  });
});
