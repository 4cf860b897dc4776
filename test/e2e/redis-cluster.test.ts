// The whole job flow (enqueue -> worker -> result, events, listing) through a local
// three-master Redis Cluster: the namespace hash tag keeps every script in one slot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { defineTask } from "../../src/core/task.js";
import { Worker } from "../../src/core/worker.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { RedisCluster } from "../support/redis-cluster.js";
import { redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const double = defineTask("double", (payload: { n: number }) => ({ doubled: payload.n * 2 }));

describe.skipIf(!redisServerAvailable())("Redis Cluster", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster.stop();
  });

  it("runs enqueue -> worker -> result through a three-master cluster", async () => {
    const store = await RedisStore.connect({ cluster: { nodes: cluster.nodes }, namespace: "cluster" });
    const workerStore = await RedisStore.connect({ cluster: { nodes: cluster.nodes }, namespace: "cluster" });
    const client = new Client({ store, tasks: [double] });
    const worker = new Worker({ store: workerStore, tasks: [double], name: "cluster-worker", concurrency: 4 });
    await worker.start();
    try {
      const jobs = await client.enqueueMany(Array.from({ length: 20 }, (_, n) => ({ task: double, payload: { n } })));
      const done = await Promise.all(jobs.map((job) => client.wait(job.id, { timeoutMs: 15_000 })));
      expect(done.map((job) => job.result)).toEqual(jobs.map((_, n) => ({ doubled: n * 2 })));
      expect(done.every((job) => job.status === "COMPLETED")).toBe(true);
      const events = await client.jobEvents(jobs[0]?.id ?? "");
      expect(events.map((e) => e.type)).toEqual(["job:enqueued", "job:started", "job:completed"]);
      const stats = await client.stats();
      expect(stats.find((s) => s.queue === "default")?.counts.COMPLETED).toBe(20);
      expect((await client.listJobs({ status: "COMPLETED" }, { limit: 5 })).jobs).toHaveLength(5);
    } finally {
      await worker.stop();
      await store.close();
      await workerStore.close();
    }
  }, 60_000);

  it("fires a schedule from the maintenance tick of a worker on the cluster", async () => {
    const store = await RedisStore.connect({ cluster: { nodes: cluster.nodes }, namespace: "cluster-schedules" });
    const client = new Client({ store, tasks: [double] });
    const worker = new Worker({ store, tasks: [double], name: "cluster-scheduler", concurrency: 1 });
    await client.schedules.upsert({ id: "every-second", task: "double", every: "1s", payload: { n: 21 } });
    await worker.start();
    try {
      await waitFor(async () => (await client.listJobs({ scheduleId: "every-second", status: "COMPLETED" }, { limit: 1 })).jobs.length === 1, { what: "a fired job done", timeoutMs: 15_000 });
      const [job] = (await client.listJobs({ scheduleId: "every-second" }, { limit: 1 })).jobs;
      expect(job).toMatchObject({ scheduleId: "every-second", payload: { n: 21 } });
      expect((await client.schedules.get("every-second"))?.lastFireAt).not.toBeNull();
    } finally {
      await worker.stop();
      await store.close();
    }
  }, 60_000);
});
