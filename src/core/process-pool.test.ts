// Process isolation: a task stuck in a CPU loop is killed at its timeout and the worker goes on.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import type { ClaimedJob } from "./job.js";
import { silentLogger } from "./logger.js";
import { ProcessPool } from "./process-pool.js";
import { defineTask, isTaskDefinition, type TaskDefinition } from "./task.js";
import { Worker } from "./worker.js";
import { waitFor } from "../../test/support/wait-for.js";

const MODULE = join(import.meta.dirname, "../../test/fixtures/cpu-tasks.mjs");
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(extra: TaskDefinition<never, unknown>[] = []) {
  const mod = (await import(MODULE)) as Record<string, unknown>;
  const tasks = [...(Object.values(mod).filter(isTaskDefinition) as TaskDefinition<never, unknown>[]), ...extra];
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store, defaults: { maxAttempts: 1 } });
  const worker = new Worker({ store, tasks, concurrency: 1, idleWaitMs: 50, isolation: { tasksModule: MODULE } });
  await worker.start();
  cleanup.push(() => store.close(), () => worker.stop({ gracePeriodMs: 0 }));
  return { client, worker };
}

describe("process isolation", () => {
  it("kills a task stuck in a CPU loop at its timeout, then runs the next job", async () => {
    const { client } = await setup();
    const stuck = await client.enqueue("spin", {}, { timeoutMs: 300 });
    const next = await client.enqueue("double", { n: 21 });
    expect(await client.wait(stuck.id, { timeoutMs: 10_000 })).toMatchObject({ status: "FAILED", error: { code: "TIMEOUT" } });
    expect(await client.wait(next.id, { timeoutMs: 10_000 })).toMatchObject({ status: "COMPLETED", result: 42, progress: { half: true } });
  }, 20_000);

  it("kills the child of a canceled job at once (the cancel notice, not the heartbeat 10 s away), then runs the next job", async () => {
    const { client, worker } = await setup();
    const stuck = await client.enqueue("spin", {}, { timeoutMs: 120_000 });
    await waitFor(async () => (await client.getJob(stuck.id))?.status === "PROCESSING", { what: "the spinning job to start" });
    await client.cancel(stuck.id);
    const next = await client.enqueue("double", { n: 21 });
    // The only slot is free again at once (the cancel notice, not the heartbeat 10 s away).
    expect(await client.wait(next.id, { timeoutMs: 5000 })).toMatchObject({ status: "COMPLETED", result: 42 });
    expect(await client.getJob(stuck.id)).toMatchObject({ status: "CANCELED" });
    // One child left, the idle one that ran the next job: the spinning one was killed (its exit
    // is seen a moment after the kill, so the count is awaited, not read at once).
    const pool = (worker as unknown as { pool: ProcessPool }).pool;
    await waitFor(() => pool.size === 1, { timeoutMs: 5000, what: "the killed child to exit" });
    expect(pool.size).toBe(1);
  }, 20_000);

  it("reports a task's error from the child with its name and stack", async () => {
    const { client } = await setup();
    const job = await client.enqueue("explode", {});
    const done = await client.wait(job.id, { timeoutMs: 10_000 });
    expect(done.error).toMatchObject({ code: "TASK_ERROR", message: "bad input in child" });
    expect(done.error?.stack).toContain("TypeError");
  }, 20_000);

  it("fails a task the child's module lacks with UNKNOWN_TASK, never retried, as in-process", async () => {
    const { client } = await setup([defineTask("only_in_parent", () => null)]);
    const job = await client.enqueue("only_in_parent", {}, { maxAttempts: 3 });
    expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "FAILED", attempt: 1, error: { code: "UNKNOWN_TASK" } });
  }, 20_000);

  it("kills the child of a job that timed out while the child was still starting", async () => {
    const pool = new ProcessPool({ tasksModule: MODULE });
    cleanup.push(async () => pool.close());
    const abort = new AbortController();
    const ctx = { signal: abort.signal, progress: async () => undefined, dependencies: async () => [], addChildren: async () => [], log: silentLogger, job: { id: "job_1", attempt: 1, maxAttempts: 1, queue: "default", meta: {} } };
    const running = pool.run({ task: "spin", payload: {} } as unknown as ClaimedJob, ctx);
    abort.abort(new Error("timed out"));
    await expect(running).rejects.toThrow("timed out");
    expect(pool.size).toBe(0);
  }, 20_000);
});
