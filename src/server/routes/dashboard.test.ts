// The dashboard routes through app.inject(): pages with their security headers, sign-in,
// sign-out, CSRF on cookie writes, read-only sessions, and the sign-in rate limit.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../core/client.js";
import { SqliteStore } from "../../stores/sqlite/sqlite-store.js";
import { buildApp } from "../app.js";

const FULL = "full-token-0123456789";
const READ = "read-token-0123456789";

describe("dashboard routes", () => {
  let dir: string;
  let store: SqliteStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "caudex-dashboard-routes-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>x</title>");
    writeFileSync(join(dir, "main.js"), "export {};");
    store = new SqliteStore({ path: join(dir, "caudex.db") });
    app = await buildApp({ client: new Client({ store }), auth: { token: FULL, readonlyToken: READ }, dashboard: { root: dir } });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (token: string) => {
    const res = await app.inject({ method: "POST", url: "/dashboard/session", payload: { token }, remoteAddress: "10.0.0.1" });
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    return { res, cookie, csrf: res.json<{ csrf_token: string }>().csrf_token };
  };

  it("serves the page and its modules without a session, with a strict CSP", async () => {
    const page = await app.inject({ url: "/dashboard/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect((await app.inject({ url: "/dashboard/main.js" })).headers["content-type"]).toContain("text/javascript");
    expect((await app.inject({ url: "/dashboard/nope.js" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/dashboard/%2e%2e/package.json" })).statusCode).not.toBe(200);
    expect((await app.inject({ url: "/dashboard" })).headers.location).toBe("/dashboard/");
  });

  it("signs in with an HttpOnly SameSite=Strict cookie that the API accepts, with CSRF on writes", async () => {
    const { res, cookie, csrf } = await signIn(FULL);
    expect(res.headers["set-cookie"]).toMatch(/HttpOnly; SameSite=Strict/);
    expect(res.json()).toMatchObject({ signed_in: true, access: "full", auth_required: true });
    expect((await app.inject({ url: "/monitoring/queue/stats", headers: { cookie } })).statusCode).toBe(200);
    const bare = await app.inject({ method: "POST", url: "/queues/default/pause", headers: { cookie } });
    expect(bare.statusCode).toBe(403);
    expect(bare.json()).toMatchObject({ error: { code: "CSRF_REJECTED" } });
    expect((await app.inject({ method: "POST", url: "/queues/default/resume", headers: { cookie, "x-csrf-token": csrf } })).statusCode).toBe(200);
  });

  it("shows the health reasons to a signed-in dashboard", async () => {
    const { cookie } = await signIn(READ);
    expect((await app.inject({ url: "/monitoring/health", headers: { cookie } })).json()).toHaveProperty("reasons");
    expect((await app.inject({ url: "/monitoring/health" })).json()).not.toHaveProperty("reasons");
  });

  it("gives a read-only session reads only", async () => {
    const { cookie, csrf, res } = await signIn(READ);
    expect(res.json()).toMatchObject({ access: "read" });
    const write = await app.inject({ method: "POST", url: "/queues/default/pause", headers: { cookie, "x-csrf-token": csrf } });
    expect(write.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
  });

  it("signs out only with the CSRF token, then the cookie no longer works", async () => {
    const { cookie, csrf } = await signIn(FULL);
    expect((await app.inject({ method: "DELETE", url: "/dashboard/session", headers: { cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: "DELETE", url: "/dashboard/session", headers: { cookie, "x-csrf-token": csrf } })).statusCode).toBe(204);
    const probe = await app.inject({ url: "/dashboard/session", headers: { cookie } });
    expect(probe.statusCode).toBe(200);
    expect(probe.json()).toEqual({ signed_in: false, auth_required: true });
    expect((await app.inject({ url: "/monitoring/queue/stats", headers: { cookie } })).statusCode).toBe(401);
  });

  it("answers the session probe with 200 signed_in: false without a session, and the dashboard API with 401", async () => {
    for (const headers of [{}, { cookie: "caudex_session=v1.f.zz.forged.mac" }, { authorization: `Bearer ${FULL}` }]) {
      const probe = await app.inject({ url: "/dashboard/session", headers });
      expect(probe.statusCode).toBe(200);
      expect(probe.json()).toEqual({ signed_in: false, auth_required: true });
    }
    const throughput = await app.inject({ url: "/dashboard/api/throughput" });
    expect(throughput.statusCode).toBe(401);
    expect(throughput.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    const { cookie } = await signIn(READ);
    expect((await app.inject({ url: "/dashboard/session", headers: { cookie } })).json()).toMatchObject({ signed_in: true, access: "read", auth_required: true });
  });

  const attempt = (token: string, remoteAddress: string) => app.inject({ method: "POST", url: "/dashboard/session", payload: { token }, remoteAddress });

  it("refuses wrong tokens with 401, then rate-limits the address with 429 and Retry-After", async () => {
    expect((await attempt("guess", "10.9.9.9")).statusCode).toBe(401);
    for (let i = 0; i < 10; i++) await attempt(`guess-${i}`, "10.9.9.9");
    const limited = await attempt("guess-again", "10.9.9.9");
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(300);
  });

  it("signs a valid token in from a rate-limited address within a second, guesses staying refused (decision 0020)", async () => {
    for (let i = 0; i < 11; i++) await attempt(`guess-${i}`, "10.8.8.8");
    expect((await attempt("guess", "10.8.8.8")).statusCode).toBe(429);
    // This second's one check went to a guess; the next second's goes to the right token.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const signedIn = await attempt(FULL, "10.8.8.8");
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers["set-cookie"]).toBeDefined();
    expect((await attempt("guess-again", "10.8.8.8")).statusCode).toBe(429);
    expect((await attempt(FULL, "10.8.8.9")).statusCode).toBe(200);
  });

});
