// Sign-out holds for good: a signed-out cookie stays refused, for reads and writes, by a server
// started afresh on the same store and by another server on it; on SQLite and on Redis.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer, redisServerAvailable } from "../../test/support/redis-server.js";
import { Client } from "../core/client.js";
import type { Store } from "../core/store.js";
import { RedisStore } from "../stores/redis/redis-store.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { buildApp } from "./app.js";
import { REVOCATION_SKEW_MS, SESSION_TTL_MS } from "./session.js";

const FULL = "full-token-0123456789";
const READ = "read-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "caudex-revocation-"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>x</title>");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One server process's view: an app on its own connection to the shared store. */
interface Server {
  app: FastifyInstance;
  store: Store;
}

async function startServer(openStore: () => Promise<Store>): Promise<Server> {
  const store = await openStore();
  const app = await buildApp({ client: new Client({ store }), auth: { token: FULL, readonlyToken: READ }, dashboard: { root: dir } });
  return { app, store };
}

async function stopServer(server: Server): Promise<void> {
  await server.app.close();
  await server.store.close();
}

async function signIn(server: Server): Promise<{ cookie: string; csrf: string }> {
  const res = await server.app.inject({ method: "POST", url: "/dashboard/session", payload: { token: FULL } });
  expect(res.statusCode).toBe(200);
  return { cookie: String(res.headers["set-cookie"]).split(";")[0] ?? "", csrf: res.json<{ csrf_token: string }>().csrf_token };
}

async function signOut(server: Server, session: { cookie: string; csrf: string }): Promise<void> {
  const res = await server.app.inject({ method: "DELETE", url: "/dashboard/session", headers: { cookie: session.cookie, "x-csrf-token": session.csrf } });
  expect(res.statusCode).toBe(204);
}

/** Reads, a write and the session probe with the cookie: true when every one was let in. */
async function expectRefused(server: Server, session: { cookie: string; csrf: string }): Promise<void> {
  const headers = { cookie: session.cookie, "x-csrf-token": session.csrf };
  expect((await server.app.inject({ url: "/monitoring/queue/stats", headers })).statusCode).toBe(401);
  expect((await server.app.inject({ url: "/jobs", headers })).statusCode).toBe(401);
  const write = await server.app.inject({ method: "POST", url: "/queues/default/pause", headers });
  expect(write.statusCode).toBe(401);
  expect((await server.app.inject({ url: "/dashboard/session", headers })).json()).toEqual({ signed_in: false, auth_required: true });
}

async function expectAccepted(server: Server, session: { cookie: string; csrf: string }): Promise<void> {
  const headers = { cookie: session.cookie, "x-csrf-token": session.csrf };
  expect((await server.app.inject({ url: "/monitoring/queue/stats", headers })).statusCode).toBe(200);
  expect((await server.app.inject({ method: "POST", url: "/queues/default/resume", headers })).statusCode).toBe(200);
}

function revocationCases(openStore: () => Promise<Store>): void {
  it("refuses a signed-out cookie for reads and writes after a restart, and keeps other sessions", async () => {
    const before = await startServer(openStore);
    const out = await signIn(before);
    const kept = await signIn(before);
    await signOut(before, out);
    await stopServer(before);
    const after = await startServer(openStore);
    try {
      await expectRefused(after, out);
      await expectAccepted(after, kept);
    } finally {
      await stopServer(after);
    }
  });

  it("refuses a cookie signed out on one server on every other server of the store", async () => {
    const [a, b] = [await startServer(openStore), await startServer(openStore)];
    try {
      const session = await signIn(a);
      await expectAccepted(b, session);
      await signOut(a, session);
      await expectRefused(b, session);
    } finally {
      await stopServer(a);
      await stopServer(b);
    }
  });
}

describe("session revocation on SQLite", () => {
  const path = join(dir, "caudex.db");
  revocationCases(async () => new SqliteStore({ path }));
});

describe.skipIf(!redisServerAvailable())("session revocation on Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  revocationCases(async () => RedisStore.connect({ url: server.url, namespace: "revocation" }));

  it("keeps a revocation under the namespace with a TTL to the session's expiry", async () => {
    const app = await startServer(() => RedisStore.connect({ url: server.url, namespace: "ttl" }));
    const admin = new Redis(server.url);
    try {
      await signOut(app, await signIn(app));
      const keys = await admin.keys("caudex:{ttl}:revoked-session:*");
      expect(keys).toHaveLength(1);
      const ttlMs = await admin.pttl(keys[0] as string);
      expect(ttlMs).toBeGreaterThan(SESSION_TTL_MS);
      expect(ttlMs).toBeLessThanOrEqual(SESSION_TTL_MS + REVOCATION_SKEW_MS);
    } finally {
      admin.disconnect();
      await stopServer(app);
    }
  });
});
