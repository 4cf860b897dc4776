// Explanations where liveness matters, with real worker processes on SQLite and a private
// redis-server: a worker SIGKILLed while it holds a lease is named as gone once its heartbeats
// are older than the live window, with the lease's expiry; maintenance then queues the job again
// and another worker runs it. "Later" is a second store handle whose clock runs that window ahead
// (the store's clock decides liveness and leases), so the test waits for no window to pass.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import type { Clock } from "../../src/core/clock.js";
import type { Store } from "../../src/core/store.js";
import { defineTask } from "../../src/core/task.js";
import { Worker } from "../../src/core/worker.js";
import { LIVE_WORKER_WINDOW_MS } from "../../src/core/worker-registry.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "../support/processes.js";
import { RedisServer, redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-explain-"));
const children: Child[] = [];
afterAll(() => {
  for (const child of children) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

// The fixtures' long tasks: the in-process worker that takes over runs them at once.
const quick = (name: string) => defineTask(name, () => "recovered");
const later: Clock = { now: () => Date.now() + LIVE_WORKER_WINDOW_MS + 5000 };

interface Setup {
  /** A store on the real clock, and one on the clock a live window later. */
  open: (clock?: Clock) => Promise<Store>;
  /** Starts a worker process named `name` that holds any job of `task` it claims for a minute. */
  spawn: (name: string) => Child;
  task: string;
}

function goneWorkerCase(setup: () => Setup): void {
  it("names a SIGKILLed worker that holds a job's lease as gone, with the lease's expiry, until maintenance queues the job again", async () => {
    const { open, spawn, task } = setup();
    const now = await open();
    const client = new Client({ store: now });
    const victim = spawn("victim");
    children.push(victim);
    await waitFor(() => victim.output().includes("ready"), { what: "the worker process to start" });
    const job = await client.enqueue(task, {});
    await waitFor(async () => (await client.requireJob(job.id)).status === "PROCESSING", { what: "the worker process to take the job" });
    expect((await client.explain(job.id)).reasons).toEqual([expect.objectContaining({ code: "RUNNING", worker: "victim" })]);

    victim.process.kill("SIGKILL");
    await victim.exited;
    const laterStore = await open(later);
    const laterClient = new Client({ store: laterStore });
    const explanation = await laterClient.explain(job.id);
    const reason = explanation.reasons[0];
    expect(reason).toMatchObject({ code: "LEASE_HELD_BY_GONE_WORKER", worker: "victim" });
    // The lease the claim gave (2 s from the start), already past a window later.
    const started = (await client.requireJob(job.id)).startedAt ?? 0;
    expect(reason?.until).toBeGreaterThan(started);
    expect(reason?.until).toBeLessThanOrEqual(started + 2000 + 1000);
    expect(reason?.message).toContain("the next maintenance tick queues the job again");

    const rescuer = new Worker({ store: laterStore, tasks: [quick(task)], name: "rescuer", idleWaitMs: 20, gracePeriodMs: 0, maintenance: { intervalMs: 50 } });
    await rescuer.start();
    try {
      const done = await laterClient.wait(job.id, { timeoutMs: 10_000 });
      expect(done).toMatchObject({ status: "COMPLETED", worker: "rescuer", stalls: 1 });
      expect((await laterClient.explain(job.id)).reasons[0]).toMatchObject({ code: "FINISHED" });
    } finally {
      await rescuer.stop({ gracePeriodMs: 0 });
      await laterStore.close();
      await now.close();
    }
  }, 60_000);
}

describe("explain with real worker processes on SQLite", () => {
  const db = join(dir, "explain.db");
  goneWorkerCase(() => ({
    task: "hang",
    open: async (clock) => new SqliteStore({ path: db, pollIntervalMs: 10, ...(clock === undefined ? {} : { clock }) }),
    spawn: (name) => spawnTs(join(import.meta.dirname, "../fixtures/sqlite-worker.ts"), { DB: db, NAME: name, LEASE_MS: "2000", HANG_MS: "60000" }),
  }));
});

const available = redisServerAvailable();
describe.skipIf(!available)("explain with real worker processes on Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  goneWorkerCase(() => ({
    task: "record",
    open: (clock) => RedisStore.connect({ url: server.url, namespace: "explain", ...(clock === undefined ? {} : { clock }) }),
    spawn: (name) => spawnTs(join(import.meta.dirname, "../fixtures/redis-worker.ts"), { REDIS_URL: server.url, NAMESPACE: "explain", NAME: name, LEASE_MS: "2000", TASK_MS: "60000" }),
  }));
});
