// Explanations against real stores (SQLite, a private redis-server, a private PostgreSQL
// cluster) and real in-process workers: for each reason, the condition is made, found first,
// cleared, and the job then runs.
// A worker that dies while it holds a lease is in test/e2e/explain-processes.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, postgresServerAvailable } from "../../test/support/postgres-server.js";
import { RedisServer, redisServerAvailable } from "../../test/support/redis-server.js";
import { waitFor } from "../../test/support/wait-for.js";
import { PostgresStore } from "../stores/postgres/postgres-store.js";
import { RedisStore } from "../stores/redis/redis-store.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import type { ExplainCode, Explanation } from "./explain.js";
import type { Job } from "./job.js";
import type { Store } from "./store.js";
import { defineTask, type TaskDefinition } from "./task.js";
import { Worker } from "./worker.js";

const gates = new Map<string, () => void>();
const gateOpened = new Set<string>();
function openGate(key: string): void {
  gateOpened.add(key);
  gates.get(key)?.();
}

const echo = defineTask<{ value?: string }, string | null>("echo", (payload) => payload.value ?? null);
// Runs until its gate opens (or its signal aborts): holds a worker's slot as long as a test needs.
const gated = defineTask<{ key: string }, null>("gated", async (payload, ctx) => {
  if (gateOpened.has(payload.key)) return null;
  await new Promise<void>((resolve) => {
    gates.set(payload.key, resolve);
    ctx.signal.addEventListener("abort", () => resolve());
  });
  return null;
});
// Fails its first attempt, then completes.
const failOnce = defineTask<Record<string, never>, string>("fail_once", (_payload, ctx) => {
  if (ctx.job.attempt === 1) throw new Error("first attempt fails");
  return "ok";
});
const ALL: TaskDefinition<never, unknown>[] = [echo, gated, failOnce];

interface Harness {
  store: Store;
  client: Client;
  start: (options?: { name?: string; queues?: string[]; tasks?: TaskDefinition<never, unknown>[]; concurrency?: number }) => Promise<Worker>;
}

function explainCases(open: () => Promise<Store>): void {
  const workers: Worker[] = [];
  const stores: Store[] = [];
  let n = 0;

  async function harness(): Promise<Harness> {
    const store = await open();
    stores.push(store);
    const client = new Client({ store });
    return {
      store,
      client,
      start: async (options = {}) => {
        const worker = new Worker({
          store,
          tasks: options.tasks ?? ALL,
          name: options.name ?? `explain-worker-${n++}`,
          queues: options.queues ?? ["default"],
          concurrency: options.concurrency ?? 1,
          // Short leases heartbeat the registry often (a third of the lease), so it shows busy slots soon.
          leaseMs: 600,
          idleWaitMs: 20,
          gracePeriodMs: 0,
          maintenance: { intervalMs: 50 },
        });
        await worker.start();
        workers.push(worker);
        return worker;
      },
    };
  }

  afterEach(async () => {
    for (const key of gates.keys()) openGate(key);
    for (const worker of workers.splice(0)) await worker.stop({ gracePeriodMs: 0 });
    for (const store of stores.splice(0)) await store.close();
    gates.clear();
    gateOpened.clear();
  });

  const first = (explanation: Explanation): ExplainCode | undefined => explanation.reasons[0]?.code;
  const explainedAs = (client: Client, id: string, code: ExplainCode): Promise<Explanation> =>
    waitFor(async () => {
      const explanation = await client.explain(id);
      return first(explanation) === code ? explanation : null;
    }, { what: `the explanation of ${id} to start with ${code}` });
  const completes = (client: Client, job: Job): Promise<Job> => client.wait(job.id, { timeoutMs: 10_000 }).then((done) => {
    expect(done.status).toBe("COMPLETED");
    return done;
  });
  const running = (client: Client, job: Job): Promise<unknown> => waitFor(async () => (await client.requireJob(job.id)).status === "PROCESSING", { what: `${job.id} to start` });

  it("says when a scheduled job runs, and runs it then", async () => {
    const { client, start } = await harness();
    await start();
    const job = await client.enqueue(echo, {}, { delayMs: 1500 });
    const explanation = await client.explain(job.id);
    expect(explanation.status).toBe("SCHEDULED");
    expect(explanation.reasons[0]).toMatchObject({ code: "SCHEDULED_UNTIL", until: job.runAt });
    await completes(client, job);
    expect((await client.explain(job.id)).reasons).toEqual([expect.objectContaining({ code: "FINISHED", status: "COMPLETED" })]);
  });

  it("says a failed attempt waits for its retry until the backoff ends, then the retry runs", async () => {
    const { client, start } = await harness();
    await start();
    const job = await client.enqueue(failOnce, {}, { maxAttempts: 2, backoff: { baseMs: 1500, jitter: 0 } });
    const explanation = await explainedAs(client, job.id, "RETRY_BACKOFF_UNTIL");
    const stored = await client.requireJob(job.id);
    expect(explanation.reasons[0]).toMatchObject({ attempt: 1, until: stored.runAt });
    expect(explanation.reasons[0]?.message).toContain("first attempt fails");
    await completes(client, job);
  });

  it("names the dependencies a deferred job waits for, and runs it once they are done", async () => {
    const { client, start } = await harness();
    await start({ concurrency: 2 });
    const dependency = await client.enqueue(gated, { key: "dependency" });
    const job = await client.enqueue(echo, {}, { dependsOn: [dependency.id] });
    const explanation = await client.explain(job.id);
    expect(explanation.reasons[0]).toMatchObject({ code: "WAITING_FOR_DEPENDENCIES", waiting: 1, total: 1, dependencies: [{ id: dependency.id, task: "gated" }] });
    openGate("dependency");
    await completes(client, job);
  });

  it("says which limit holds a queued job back, and runs it once the limit allows it", async () => {
    const { client, start } = await harness();
    await client.limits.set("per-project", null, { concurrency: 1 });
    await start({ concurrency: 2 });
    const holder = await client.enqueue(gated, { key: "limit" }, { limitKeys: { "per-project": "p-1" } });
    await running(client, holder);
    const job = await client.enqueue(echo, {}, { limitKeys: { "per-project": "p-1" } });
    const explanation = await explainedAs(client, job.id, "HELD_BY_LIMIT");
    expect(explanation.reasons[0]?.message).toContain("limited by per-project, key p-1: 1 of 1 running");
    expect(explanation.reasons[0]?.limitKeys).toEqual([{ name: "per-project", key: "p-1" }]);
    openGate("limit");
    await completes(client, job);
  });

  it("says the queue is paused, and runs the job once it is resumed", async () => {
    const { client, start } = await harness();
    await start();
    await client.pauseQueue("default");
    const job = await client.enqueue(echo, {});
    expect((await client.explain(job.id)).reasons[0]).toMatchObject({ code: "QUEUE_PAUSED", queue: "default" });
    await client.resumeQueue("default");
    await completes(client, job);
  });

  it("says no live worker listens on the queue, and runs the job once one does", async () => {
    const { client, start } = await harness();
    await start({ queues: ["default"] });
    const job = await client.enqueue(echo, {}, { queue: "reports" });
    const explanation = await client.explain(job.id);
    expect(explanation.reasons[0]).toMatchObject({ code: "NO_WORKER_FOR_QUEUE", queue: "reports" });
    expect(explanation.reasons[0]?.message).toContain("live workers listen on default");
    expect(await client.enqueueWarnings("echo", { queue: "reports" })).toEqual([expect.objectContaining({ code: "NO_WORKER_FOR_QUEUE" })]);
    await start({ queues: ["reports"] });
    await completes(client, job);
  });

  it("says no live worker of the queue runs the task, and runs the job once one does", async () => {
    const { client, start } = await harness();
    // The only worker of the queue runs other tasks, and its one slot is taken.
    await start({ name: "without-echo", tasks: [gated] });
    const holder = await client.enqueue(gated, { key: "task" });
    await running(client, holder);
    const job = await client.enqueue(echo, {});
    const explanation = await client.explain(job.id);
    expect(explanation.reasons[0]).toMatchObject({ code: "NO_WORKER_FOR_TASK", queue: "default", task: "echo" });
    expect((await client.enqueueWarnings("echo")).map((w) => w.code)).toEqual(["NO_WORKER_FOR_TASK"]);
    await start({ name: "with-echo", tasks: [echo] });
    const done = await completes(client, job);
    expect(done.worker).toBe("with-echo");
  });

  it("says every slot of the workers is busy, and runs the job once one frees", async () => {
    const { client, start } = await harness();
    await start({ concurrency: 1 });
    const holder = await client.enqueue(gated, { key: "busy" });
    await running(client, holder);
    const job = await client.enqueue(echo, {});
    const explanation = await explainedAs(client, job.id, "WORKERS_BUSY");
    expect(explanation.reasons[0]).toMatchObject({ workers: 1, slots: 1 });
    expect(explanation.reasons.at(-1)).toMatchObject({ code: "QUEUE_POSITION", ahead: 0 });
    openGate("busy");
    await completes(client, job);
  });

  it("says how many jobs of higher-priority queues come first, and runs the job after them", async () => {
    const { client, start } = await harness();
    await start({ queues: ["high", "default"], concurrency: 1 });
    const holder = await client.enqueue(gated, { key: "priority" }, { queue: "high" });
    await running(client, holder);
    const before = await client.enqueue(echo, {}, { queue: "high" });
    const job = await client.enqueue(echo, {}, { queue: "default" });
    // Once the worker's heartbeat shows its slot taken, both hold the job; the queue before it comes first.
    const explanation = await waitFor(async () => {
      const found = await client.explain(job.id);
      return found.reasons.map((r) => r.code).join() === "BEHIND_HIGHER_PRIORITY,WORKERS_BUSY,QUEUE_POSITION" ? found : null;
    }, { what: "the job to be behind the high queue's job and the busy slot" });
    expect(explanation.reasons[0]).toMatchObject({ ahead: 1, queues: ["high"] });
    openGate("priority");
    const [doneBefore, done] = [await completes(client, before), await completes(client, job)];
    expect(doneBefore.startedAt).toBeLessThanOrEqual(done.startedAt ?? 0);
  });

  it("gives a queued job's place in its queue, and the jobs ahead run first", async () => {
    const { client, start } = await harness();
    // A live worker (over HTTP) that has not claimed yet: nothing else holds the jobs back.
    await client.remoteWorkers.register({ name: "remote-1", incarnation: "remote-incarnation", host: "h", pid: 1, queues: ["default"], tasks: ["echo"], concurrency: 1 });
    const jobs = [await client.enqueue(echo, {}), await client.enqueue(echo, {}, { idempotencyKey: "with-a-hash" }), await client.enqueue(echo, {})];
    const last = jobs[2] as Job;
    expect((await client.explain(last.id)).reasons).toEqual([expect.objectContaining({ code: "QUEUE_POSITION", queue: "default", ahead: 2, atLeast: false })]);
    expect((await client.explain(jobs[0]!.id)).reasons[0]?.message).toBe("Next in queue default");
    // A job cancelled ahead leaves the count.
    await client.cancel(jobs[0]!.id);
    expect((await client.explain(last.id)).reasons[0]).toMatchObject({ ahead: 1 });
    expect((await client.explain(jobs[1]!.id)).reasons[0]).toMatchObject({ ahead: 0 });
    await client.remoteWorkers.unregister("remote-1", "remote-incarnation");
    await start();
    await completes(client, last);
  });

  it("counts at most a bounded number of the jobs ahead", async () => {
    const { client, store } = await harness();
    const many = await client.enqueueMany(Array.from({ length: 1004 }, () => ({ task: "echo", payload: {} })));
    const keyed = await client.enqueue(echo, {}, { idempotencyKey: "deep" });
    for (const job of [many.at(-1) as Job, keyed]) {
      const place = await store.jobPlace(job.id, 1000);
      const expected = job === keyed ? 1004 : 1003;
      // Exact when the store could tell it within the bound (Redis: a packed job's index), else a lower bound.
      if (place?.aheadAtLeast === true) expect(place.ahead).toBeGreaterThanOrEqual(1000);
      else expect(place?.ahead).toBe(expected);
      expect(place?.ahead).toBeLessThanOrEqual(expected);
    }
    expect(await store.jobPlace("job_unknown", 1000)).toBeNull();
    expect((await client.explain(keyed.id)).reasons.at(-1)?.message).toMatch(/^(At least 1000|1004) job\(s\) wait ahead of it in queue default$/);
  });

  it("says a job runs, on which worker, and that a created job waits to be enqueued", async () => {
    const { client, start } = await harness();
    const worker = await start();
    const held = await client.create(echo, {});
    expect((await client.explain(held.id)).reasons[0]).toMatchObject({ code: "PENDING" });
    const job = await client.enqueue(gated, { key: "running" });
    await running(client, job);
    expect((await client.explain(job.id)).reasons).toEqual([expect.objectContaining({ code: "RUNNING", worker: worker.name })]);
    await client.enqueuePending(held.id);
    openGate("running");
    await completes(client, held);
    await expect(client.explain("job_unknown")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });
}

describe("explain on SQLite", () => {
  explainCases(async () => new SqliteStore({ path: ":memory:", pollIntervalMs: 10 }));
});

const available = redisServerAvailable();
describe.skipIf(!available)("explain on Redis", () => {
  let server: RedisServer;
  let namespace = 0;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  explainCases(async () => RedisStore.connect({ url: server.url, namespace: `explain-${namespace++}` }));
});

const postgres = postgresServerAvailable();
describe.skipIf(!postgres)("explain on PostgreSQL", () => {
  let server: PostgresServer;
  let schema = 0;
  beforeAll(async () => {
    server = await PostgresServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  explainCases(async () => PostgresStore.connect({ url: server.url, schema: `explain_${process.pid}_${schema++}`, poolSize: 4 }));
});
