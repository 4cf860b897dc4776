// A private redis-server at maxmemory (noeviction): writes fail with STORE_UNAVAILABLE saying
// so, health and /metrics report it, and the store works again by itself once memory is freed.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { Client } from "../../core/client.js";
import { buildApp } from "../../server/app.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
// Room for a few hundred of these jobs, so the fill loop ends quickly and for certain.
const PAYLOAD = { text: "x".repeat(16 * 1024) };
const MAX_BATCHES = 2000;

/** Enqueues until Redis refuses; returns the refusal. */
async function fill(store: RedisStore): Promise<unknown> {
  let refusal: unknown = null;
  for (let i = 0; i < MAX_BATCHES && refusal === null; i++) {
    await store.enqueue([newJob({ payload: PAYLOAD })]).catch((error: unknown) => {
      refusal = error;
    });
  }
  return refusal;
}

describe.skipIf(!available)("redis store at maxmemory", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"] });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("rejects an enqueue with STORE_UNAVAILABLE naming maxmemory, and enqueues again once memory is freed", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "oom" });
    const admin = new Redis(server.url);
    try {
      let refusal: unknown = null;
      for (let i = 0; i < MAX_BATCHES && refusal === null; i++) {
        await store.enqueue([newJob({ payload: PAYLOAD })]).catch((error: unknown) => {
          refusal = error;
        });
      }
      expect(refusal).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("Redis is at maxmemory (noeviction)") as string });
      expect((refusal as Error).cause).toBeInstanceOf(Error);
      // Reads go on at maxmemory: only writes are refused.
      expect((await store.stats()).length).toBeGreaterThan(0);
      // Only this test's own server is flushed.
      await admin.flushall();
      const job = newJob();
      expect((await store.enqueue([job]))[0]?.created).toBe(true);
      expect((await store.getJob(job.id))?.status).toBe("QUEUED");
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("reports the refusal in health (degraded, with the reason first) and /metrics, and ok again once memory is freed", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "oom-health" });
    const admin = new Redis(server.url);
    const token = "health-token-0123456789";
    const app = await buildApp({ client: new Client({ store }), auth: { token, readonlyToken: null } });
    const headers = { authorization: `Bearer ${token}` };
    try {
      await admin.flushall();
      const before = await store.health();
      expect(before.writesRefused).toBeUndefined();
      expect(before.fullness).toBeGreaterThan(0);
      expect(before.fullness).toBeLessThan(1);
      expect(await fill(store)).toMatchObject({ code: "STORE_UNAVAILABLE" });
      const full = await store.health();
      expect(full.ok).toBe(true);
      expect(full.writesRefused).toMatch(/Redis is at maxmemory \(noeviction\), .* it refuses writes/);
      expect(full.fullness).toBeGreaterThan(0.9);
      const answer = await app.inject({ url: "/monitoring/health", headers });
      expect(answer.statusCode).toBe(200);
      const report = answer.json<{ status: string; reasons: string[] }>();
      expect(report.status).toBe("degraded");
      expect(report.reasons[0]).toContain("refuses writes");
      const metrics = await app.inject({ url: "/metrics", headers });
      expect(metrics.body).toMatch(/^caudex_store_writes_refused 1$/m);
      expect(metrics.body).toMatch(/^caudex_store_fullness_ratio 0\.9\d*|^caudex_store_fullness_ratio 1/m);
      // Only this test's own server is flushed.
      await admin.flushall();
      expect((await store.health()).writesRefused).toBeUndefined();
      expect((await app.inject({ url: "/metrics", headers })).body).toMatch(/^caudex_store_writes_refused 0$/m);
    } finally {
      await app.close();
      admin.disconnect();
      await store.close();
    }
  });
});
