// Flows, batches, dependsOn and fan-out through the client and a real worker on a real
// (in-memory) SQLite store: what a task sees of its dependencies, and the checks at enqueue.
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import type { Json } from "./job.js";
import { defineTask, type TaskDefinition } from "./task.js";
import { Worker } from "./worker.js";

const open: Array<Worker | SqliteStore> = [];

function setup(tasks: TaskDefinition<never, unknown>[]) {
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store, defaults: { maxAttempts: 1 } });
  const worker = new Worker({ store, tasks, concurrency: 4, idleWaitMs: 50, maintenance: { intervalMs: 50 } });
  open.push(worker, store);
  return { store, client, worker };
}

afterEach(async () => {
  for (const item of open.splice(0).reverse()) {
    if (item instanceof SqliteStore) await item.close();
    else await item.stop({ gracePeriodMs: 0 });
  }
});

const part = defineTask<{ n: number }, number>("part", (payload) => payload.n * 10);
const sum = defineTask<Record<string, never>, Json>("sum", async (_payload, ctx) => {
  const deps = await ctx.dependencies();
  return { total: deps.reduce((acc, d) => acc + (typeof d.result === "number" ? d.result : 0), 0), statuses: deps.map((d) => d.status) };
});
const flaky = defineTask<{ fail: boolean }, string>("flaky", (payload) => {
  if (payload.fail) throw new Error("upstream down");
  return "ok";
});

describe("flows", () => {
  it("runs a parent after its children and hands it their results", async () => {
    const { client, worker } = setup([part, sum]);
    await worker.start();
    const { root, jobs } = await client.enqueueFlow({
      task: sum,
      payload: {},
      children: [
        { task: part, payload: { n: 1 } },
        { task: sum, payload: {}, children: [{ task: part, payload: { n: 2 } }, { task: part, payload: { n: 3 } }] },
      ],
    });
    expect(jobs).toHaveLength(5);
    expect(root).toMatchObject({ status: "DEFERRED", flowId: root.id, parentId: null });
    expect(jobs.filter((j) => j.id !== root.id).every((j) => j.flowId === root.id)).toBe(true);
    const done = await client.wait(root.id, { timeoutMs: 10_000 });
    // 10 from the first child; the nested sum's own result is an object, not a number.
    expect(done).toMatchObject({ status: "COMPLETED", result: { total: 10, statuses: ["COMPLETED", "COMPLETED"] } });
    const nested = jobs[3];
    expect(await client.getJob(nested?.id ?? "")).toMatchObject({ status: "COMPLETED", result: { total: 50 } });
    const tree = await client.jobTree(jobs[0]?.id ?? "");
    expect(tree.rootId).toBe(root.id);
    expect(tree.jobs.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(tree.truncated).toBe(false);
  });

  it("stores nothing of a flow with a bad job, and refuses idempotency keys in flows", async () => {
    const { client } = setup([part, sum]);
    await expect(client.enqueueFlow({ task: sum, payload: {}, children: [{ task: part, payload: { n: 1 } }, { task: "", payload: {} }] })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueueFlow({ task: sum, payload: {}, children: [{ task: part, payload: { n: 1 }, options: { idempotencyKey: "k" } as never }] })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueueFlow({ task: sum, payload: {}, options: { dependsOn: ["job_nope"] }, children: [{ task: part, payload: { n: 1 } }] })).rejects.toMatchObject({ code: "DEPENDENCY_NOT_FOUND" });
    expect((await client.listJobs()).jobs).toHaveLength(0);
  });

  it("refuses a held job with dependencies, an unknown policy and a job that depends on itself", async () => {
    const { client } = setup([part]);
    const first = await client.enqueue(part, { n: 1 });
    await expect(client.create(part, { n: 2 }, { dependsOn: [first.id] })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueue(part, { n: 2 }, { dependsOn: [first.id], onDependencyFailure: "explode" as never })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueue(part, { n: 2 }, { dependsOn: Array.from({ length: 10_001 }, (_, i) => `job_${i}`) })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    expect((await client.listJobs()).jobs).toHaveLength(1);
  });
});

describe("batches", () => {
  it("calls back once when every member is final, with the counts, under on: always", async () => {
    const { client, worker } = setup([flaky, sum]);
    await worker.start();
    const { batch, jobs } = await client.enqueueBatch({
      jobs: [{ task: flaky, payload: { fail: false } }, { task: flaky, payload: { fail: true } }, { task: flaky, payload: { fail: false } }],
      callback: { task: sum, payload: {} },
      on: "always",
    });
    expect(jobs).toHaveLength(3);
    expect(batch).toMatchObject({ finished: false, counts: { total: 3, waiting: 3 } });
    const done = await client.wait(batch.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("COMPLETED");
    expect(done.result).toMatchObject({ statuses: ["COMPLETED", "FAILED", "COMPLETED"] });
    expect(await client.getBatch(batch.id)).toMatchObject({ finished: true, counts: { total: 3, waiting: 0, completed: 2, failed: 1, canceled: 0 } });
  });

  it("fails the callback with DEPENDENCY_FAILED under on: success, and never runs it", async () => {
    let ran = false;
    const never = defineTask("never", () => {
      ran = true;
      return null;
    });
    const { client, worker } = setup([flaky, never]);
    await worker.start();
    const { batch } = await client.enqueueBatch({ jobs: [{ task: flaky, payload: { fail: true } }], callback: { task: never, payload: {} } });
    const done = await client.wait(batch.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
    expect(ran).toBe(false);
  });
});

describe("fan-out", () => {
  it("adds children from a running task; the job's dependents wait for them and see their results", async () => {
    const split = defineTask<{ parts: number }, string>("split", async (payload, ctx) => {
      await ctx.addChildren(Array.from({ length: payload.parts }, (_, i) => ({ task: part, payload: { n: i + 1 } })));
      return "split";
    });
    const { client, worker } = setup([split, part, sum]);
    await worker.start();
    const first = await client.enqueue(split, { parts: 4 });
    const after = await client.enqueue(sum, {}, { dependsOn: [first.id] });
    const done = await client.wait(after.id, { timeoutMs: 10_000 });
    // 10 + 20 + 30 + 40; the split's own result is a string.
    expect(done).toMatchObject({ status: "COMPLETED", result: { total: 100 } });
    expect((await client.getJob(after.id))?.dependsOn).toHaveLength(5);
    expect((await client.getJob(first.id))?.flowId).toBe(first.id);
    expect((await client.jobTree(after.id)).jobs).toHaveLength(6);
  });
});
