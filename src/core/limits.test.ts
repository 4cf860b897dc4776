// Per-key limits through the client and a real worker on a real (in-memory) SQLite store: keys
// derived from the job, slots across concurrent runs, RetryAfter and UnrecoverableError, the
// operator's view, and the checks at definition and enqueue.
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { defineTask, type TaskDefinition } from "./task.js";
import { RetryAfter, UnrecoverableError } from "./task-errors.js";
import { Worker } from "./worker.js";

const open: Array<Worker | SqliteStore> = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(tasks: TaskDefinition<never, unknown>[], concurrency = 8) {
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store, tasks, defaults: { maxAttempts: 3 } });
  const worker = new Worker({ store, tasks, concurrency, idleWaitMs: 50, maintenance: { intervalMs: 50 } });
  open.push(worker, store);
  return { store, client, worker };
}

afterEach(async () => {
  for (const item of open.splice(0).reverse()) {
    if (item instanceof SqliteStore) await item.close();
    else await item.stop({ gracePeriodMs: 0 });
  }
});

describe("limits", () => {
  it("runs at most `concurrency` jobs of one project at once while other projects run beside them", async () => {
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const report = defineTask<{ n: number }, null>(
      "report",
      async (_payload, ctx) => {
        const project = String(ctx.job.meta.projectId);
        running.set(project, (running.get(project) ?? 0) + 1);
        most.set(project, Math.max(most.get(project) ?? 0, running.get(project) ?? 0));
        await sleep(30);
        running.set(project, (running.get(project) ?? 0) - 1);
        return null;
      },
      { limits: [{ name: "per-project", key: (_p, meta) => meta.projectId, concurrency: 2 }] },
    );
    const { client, worker } = setup([report]);
    await worker.start();
    const jobs = [];
    for (let n = 0; n < 8; n++) jobs.push(await client.enqueue(report, { n }, { meta: { projectId: "A" } }));
    const b = await client.enqueue(report, { n: 99 }, { meta: { projectId: "B" } });
    expect(jobs[0]?.limitKeys).toEqual([{ name: "per-project", key: "A" }]);
    const doneB = await client.wait(b.id, { timeoutMs: 10_000 });
    // B started before A's backlog was through: A never blocks the queue.
    const lastA = await client.wait(jobs[7]?.id ?? "", { timeoutMs: 10_000 });
    expect(doneB.startedAt as number).toBeLessThan(lastA.startedAt as number);
    expect(most.get("A")).toBe(2);
    expect(await client.limits.get("per-project", "A")).toMatchObject({ running: 0, waiting: 0, concurrency: 2 });
  });

  it("takes explicit limit keys at enqueue and says why a waiting job is held back", async () => {
    const { store } = setup([]);
    // A producer that knows no task definitions (as one in another language): keys given explicitly.
    const client = new Client({ store });
    await client.limits.set("per-project", null, { concurrency: 1 });
    const first = await client.enqueue("anything", {}, { limitKeys: { "per-project": "42" } });
    const second = await client.enqueue("anything", {}, { limitKeys: { "per-project": "42" } });
    await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 5, leaseMs: 30_000 });
    expect(await client.limits.holdOf((await client.getJob(second.id))!)).toBe("limited by per-project, key 42: 1 of 1 running");
    expect(await client.limits.holdOf((await client.getJob(first.id))!)).toBeNull();
    await expect(client.enqueue("anything", {}, { limitKeys: { "bad name!": "1" } })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.limits.set("per-project", "42", { concurrency: -1 })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.limits.set("per-project", "42", {})).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  it("refuses a task whose limits are malformed", () => {
    expect(() => defineTask("t", () => null, { limits: [{ name: "x", key: "k" }] })).toThrow(/concurrency, a rate/);
    expect(() => defineTask("t", () => null, { limits: [{ name: "x", key: "k", concurrency: 1 }, { name: "x", key: "k", concurrency: 2 }] })).toThrow(/twice/);
    expect(() => defineTask("t", () => null, { limits: [{ name: "x", key: "k", rate: { limit: 0, periodMs: 1000 } }] })).toThrow(/rate.limit/);
  });
});

describe("RetryAfter and UnrecoverableError", () => {
  it("puts a job off without counting the attempt when the task throws RetryAfter", async () => {
    let calls = 0;
    const upstream = defineTask("upstream", () => {
      calls += 1;
      if (calls < 3) throw new RetryAfter(20, "429 from upstream");
      return "ok";
    });
    const { client, worker } = setup([upstream]);
    await worker.start();
    const job = await client.enqueue(upstream, {}, { maxAttempts: 1 });
    expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "COMPLETED", attempt: 1, postponements: 2, result: "ok" });
  });

  it("fails a job at once when the task throws UnrecoverableError", async () => {
    const broken = defineTask("broken", () => {
      throw new UnrecoverableError("the account is closed");
    });
    const { client, worker } = setup([broken]);
    await worker.start();
    const job = await client.enqueue(broken, {}, { maxAttempts: 5 });
    expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "FAILED", attempt: 1, error: { code: "TASK_ERROR", message: "the account is closed" } });
  });
});
