// A private redis-server at maxmemory (noeviction): writes fail with STORE_UNAVAILABLE saying
// so, and the store works again by itself once memory is freed.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
// Room for a few hundred of these jobs, so the fill loop ends quickly and for certain.
const PAYLOAD = { text: "x".repeat(16 * 1024) };
const MAX_BATCHES = 2000;

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
});
