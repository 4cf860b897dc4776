// Idle workers must not poll Redis: four workers with default settings wait for 10 s on an
// empty namespace, and INFO commandstats counts what they sent (scripts' inner calls included).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Client } from "../../src/core/client.js";
import { defineTask } from "../../src/core/task.js";
import { Worker } from "../../src/core/worker.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { RedisServer, redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const noop = defineTask("noop", () => null);
const MEASURE_MS = 10_000;

async function totalCalls(admin: Redis): Promise<{ calls: number; byCommand: Record<string, number> }> {
  const info = await admin.info("commandstats");
  const byCommand: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) byCommand[match[1] ?? ""] = Number(match[2]);
  // The measuring connection's own INFO and CONFIG calls are not the workers'.
  delete byCommand.info;
  delete byCommand["config|resetstat"];
  return { calls: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand };
}

describe.skipIf(!redisServerAvailable())("idle Redis workers", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("send almost no commands while waiting, yet start a new job at once", async () => {
    const stores = await Promise.all([0, 1, 2, 3].map(() => RedisStore.connect({ url: server.url, namespace: "idle" })));
    const workers = stores.map((store, i) => new Worker({ store, tasks: [noop], name: `idle-${i}`, concurrency: 10 }));
    for (const worker of workers) await worker.start();
    const admin = new Redis(server.url);
    try {
      // Measured from the moment every worker waits: each store subscribes at its first wait.
      const channel = (stores[0] as RedisStore).keys.wakeChannel();
      await waitFor(async () => (await admin.pubsub("NUMSUB", channel))[1] === 4, { what: "every worker waiting" });
      await admin.config("RESETSTAT");
      // A fixed wait is the measurement itself here: commands per second over a known window.
      await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
      const { calls, byCommand } = await totalCalls(admin);
      const perWorkerPerSecond = calls / 4 / (MEASURE_MS / 1000);
      console.log(`4 idle workers: ${calls} commands in ${MEASURE_MS / 1000} s = ${perWorkerPerSecond.toFixed(2)} per worker per second`, byCommand);
      expect(perWorkerPerSecond).toBeLessThan(5);
      const client = new Client({ store: stores[0] as RedisStore });
      const started = Date.now();
      const job = await client.enqueue(noop, {});
      await client.wait(job.id, { timeoutMs: 5000 });
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      for (const worker of workers) await worker.stop();
      for (const store of stores) await store.close();
      admin.disconnect();
    }
  }, 30_000);
});
