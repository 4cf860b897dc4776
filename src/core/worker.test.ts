// Worker behaviour against a real (in-memory) SQLite store: running, retrying, timing out,
// priorities, maxJobs, burst, graceful stop and cancellation.
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { wrapStore } from "../../test/support/server.js";
import { waitFor } from "../../test/support/wait-for.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { ManualClock } from "./clock.js";
import { LeaseLostError } from "./errors.js";
import type { Json } from "./job.js";
import { defineTask, type TaskDefinition } from "./task.js";
import { Worker, type WorkerOptions } from "./worker.js";

const open: Array<Worker | SqliteStore> = [];

function setup(tasks: TaskDefinition<never, unknown>[], options: Partial<WorkerOptions> = {}) {
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store, defaults: { maxAttempts: 1 } });
  const worker = new Worker({ store, tasks, idleWaitMs: 50, maintenance: { intervalMs: 50 }, ...options });
  open.push(worker, store);
  return { store, client, worker };
}

afterEach(async () => {
  for (const item of open.splice(0).reverse()) {
    if (item instanceof SqliteStore) await item.close();
    else await item.stop({ gracePeriodMs: 0 });
  }
});

const echo = defineTask<{ value: Json }, Json>("echo", (payload) => payload.value);

describe("Worker", () => {
  it("runs a job to COMPLETED with its result and progress", async () => {
    const report = defineTask<{ n: number }, number>("report", async (payload, ctx) => {
      await ctx.progress({ percent: 50 });
      expect(ctx.job.attempt).toBe(1);
      expect(ctx.job.meta).toEqual({ projectId: "42" });
      return payload.n * 2;
    });
    const { client, worker } = setup([report]);
    await worker.start();
    const job = await client.enqueue(report, { n: 21 }, { meta: { projectId: "42" } });
    const done = await client.wait(job.id, { timeoutMs: 5000 });
    expect(done).toMatchObject({ status: "COMPLETED", result: 42, progress: { percent: 50 }, worker: worker.name });
  });

  it("retries a failing task with backoff, then fails it with TASK_ERROR and the stack", async () => {
    let calls = 0;
    const flaky = defineTask("flaky", () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    });
    const { client, worker } = setup([flaky]);
    await worker.start();
    const job = await client.enqueue(flaky, {}, { maxAttempts: 3, backoff: { baseMs: 10, jitter: 0 } });
    const done = await client.wait(job.id, { timeoutMs: 5000 });
    expect(calls).toBe(3);
    expect(done.status).toBe("FAILED");
    expect(done.attempt).toBe(3);
    expect(done.error).toMatchObject({ code: "TASK_ERROR", message: "failure 3" });
    expect(done.error?.stack).toContain("failure 3");
    const types = (await client.jobEvents(job.id)).map((e) => e.type);
    expect(types.filter((t) => t === "job:retrying")).toHaveLength(2);
  });

  it("fails a job past its timeout and frees the slot even when the task ignores the signal", async () => {
    let aborted = false;
    const stuck = defineTask("stuck", (_p, ctx) => {
      ctx.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => undefined);
    });
    const clock = new ManualClock();
    const { client, worker } = setup([stuck, echo], { concurrency: 1, clock });
    await worker.start();
    const job = await client.enqueue(stuck, {}, { timeoutMs: 60_000 });
    const next = await client.enqueue(echo, { value: "after" });
    await waitFor(async () => (await client.getJob(job.id))?.status === "PROCESSING");
    // The worker's clock decides: a minute passes for it at once.
    clock.advance(60_000);
    const done = await client.wait(job.id, { timeoutMs: 5000 });
    expect(done).toMatchObject({ status: "FAILED", error: { code: "TIMEOUT" } });
    expect(aborted).toBe(true);
    expect((await client.wait(next.id, { timeoutMs: 5000 })).result).toBe("after");
  });

  it("retries a timed-out job when the task says timeouts are retryable", async () => {
    let calls = 0;
    const slowOnce = defineTask(
      "slow-once",
      async (_p, ctx) => {
        calls += 1;
        if (calls === 1) await new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))));
        return calls;
      },
      { retryOnTimeout: true, maxAttempts: 2, backoff: { baseMs: 1, jitter: 0 } },
    );
    const clock = new ManualClock();
    const { client, worker } = setup([slowOnce], { clock });
    await worker.start();
    const job = await client.enqueue(slowOnce, {}, { timeoutMs: 60_000, maxAttempts: 2 });
    await waitFor(async () => (await client.getJob(job.id))?.status === "PROCESSING");
    clock.advance(60_000);
    expect(await client.wait(job.id, { timeoutMs: 5000 })).toMatchObject({ status: "COMPLETED", result: 2, attempt: 2 });
  });

  it("fails a job for good when its result cannot be stored: not JSON, or too large", async () => {
    const bigint = defineTask("bigint", () => ({ n: 10n }), { maxAttempts: 3 });
    const huge = defineTask("huge", () => "x".repeat(2 * 1024 * 1024), { maxAttempts: 3 });
    const { client, worker } = setup([bigint, huge]);
    await worker.start();
    const notJson = await client.wait((await client.enqueue(bigint, {}, { maxAttempts: 3 })).id, { timeoutMs: 5000 });
    expect(notJson).toMatchObject({ status: "FAILED", attempt: 1, error: { code: "TASK_ERROR" } });
    expect(notJson.error?.message).toContain("bigint is not JSON");
    const tooLarge = await client.wait((await client.enqueue(huge, {}, { maxAttempts: 3 })).id, { timeoutMs: 5000 });
    expect(tooLarge).toMatchObject({ status: "FAILED", attempt: 1, error: { code: "TASK_ERROR" } });
    expect(tooLarge.error?.message).toContain("larger than 1048576 bytes");
  });

  it("reports a store whose fail() throws instead of rejecting, without an unhandled rejection", async () => {
    const bigint = defineTask("bigint", () => ({ n: 10n }));
    const { store, client, worker } = setup([bigint]);
    // A store implementation that throws synchronously from fail(): the worker's recovery path
    // for an unstorable result must still report it and finish its settlements.
    const throwing = new Error("fail() threw");
    const fail = vi.spyOn(store, "fail").mockImplementation(() => {
      throw throwing;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const errors: unknown[] = [];
      worker.events.on("worker:error", ({ error }) => errors.push(error));
      await worker.start();
      await client.enqueue(bigint, {});
      await waitFor(async () => errors.includes(throwing), { what: "the thrown error reported" });
      expect(fail).toHaveBeenCalledTimes(1);
      await worker.stop({ gracePeriodMs: 0 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("fails a job of an unknown task with UNKNOWN_TASK and never retries it", async () => {
    const { client, worker } = setup([echo]);
    await worker.start();
    const job = await client.enqueue("not_registered", {}, { maxAttempts: 5 });
    const done = await client.wait(job.id, { timeoutMs: 5000 });
    expect(done).toMatchObject({ status: "FAILED", attempt: 1, error: { code: "UNKNOWN_TASK" } });
  });

  it("rejects a payload that fails the task's schema at enqueue, storing nothing", async () => {
    const typed = defineTask("typed", (p: { projectId: string }) => p.projectId, {
      schema: z.object({ projectId: z.string().min(1) }),
    });
    const { client } = setup([typed]);
    await expect(client.enqueue(typed, { projectId: "" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    expect((await client.listJobs()).jobs).toHaveLength(0);
    expect((await client.enqueue(typed, { projectId: "7" })).status).toBe("QUEUED");
  });

  it("takes high jobs before default ones", async () => {
    const order: string[] = [];
    const record = defineTask<{ tag: string }, null>("record", (p) => {
      order.push(p.tag);
      return null;
    });
    const { client, worker } = setup([record], { queues: ["high", "default"], concurrency: 1, burst: true });
    await client.enqueue(record, { tag: "d1" }, { queue: "default" });
    await client.enqueue(record, { tag: "h1" }, { queue: "high" });
    await client.enqueue(record, { tag: "d2" }, { queue: "default" });
    await client.enqueue(record, { tag: "h2" }, { queue: "high" });
    await worker.start();
    await worker.finished();
    expect(order).toEqual(["h1", "h2", "d1", "d2"]);
  });

  it("stops after maxJobs jobs", async () => {
    const { client, worker } = setup([echo], { maxJobs: 3, concurrency: 2 });
    for (let i = 0; i < 5; i++) await client.enqueue(echo, { value: i });
    await worker.start();
    await worker.finished();
    expect((await client.listJobs({ status: "COMPLETED" })).jobs).toHaveLength(3);
    expect((await client.listJobs({ status: "QUEUED" })).jobs).toHaveLength(2);
  });

  it("stops in burst mode once the queues are empty", async () => {
    const { client, worker } = setup([echo], { burst: true, concurrency: 4 });
    for (let i = 0; i < 10; i++) await client.enqueue(echo, { value: i });
    await worker.start();
    await worker.finished();
    expect((await client.listJobs({ status: "COMPLETED" })).jobs).toHaveLength(10);
  });

  it("stops when another process registers under its name (its heartbeat is refused)", async () => {
    const { store, worker } = setup([echo], { name: "shared-name", leaseMs: 300 });
    const stopped = new Promise<void>((resolve) => worker.events.on("worker:stopped", () => resolve()));
    await worker.start();
    // The newcomer runs on another host, so the live-namesake check cannot refuse it.
    await store.registerWorker({ ...worker.info(), incarnation: "newcomer", host: "other-host", pid: 1 }, 3);
    await stopped;
    expect((await store.listWorkers(60_000)).map((w) => w.incarnation)).toEqual(["newcomer"]);
  });

  it("claims in batches of half its slots, keeping every slot busy", async () => {
    let running = 0;
    let peak = 0;
    const slow = defineTask("slow", async () => {
      running += 1;
      peak = Math.max(peak, running);
      // Each task holds its slot until every slot was busy at once (or the wait times out and the check below fails).
      await waitFor(() => peak === 4, { timeoutMs: 2000, what: "every slot busy" }).catch(() => undefined);
      running -= 1;
    });
    const { client, worker, store } = setup([slow], { concurrency: 4, burst: true });
    const limits: number[] = [];
    const claim = store.claim.bind(store);
    store.claim = (request) => (limits.push(request.limit), claim(request));
    await client.enqueueMany(Array.from({ length: 8 }, () => ({ task: slow, payload: {} })));
    await worker.start();
    await worker.finished();
    expect(peak).toBe(4);
    // One claim asks for several jobs (half the slots at a time), never for more than are free.
    expect(limits[0]).toBe(2);
    expect(Math.max(...limits)).toBe(2);
  });

  it("lets a running job finish within the grace period on stop", async () => {
    let finish: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (finish = resolve));
    let started = false;
    const short = defineTask("short", async () => {
      started = true;
      await released;
      return "finished";
    });
    const { client, worker } = setup([short]);
    await worker.start();
    const job = await client.enqueue(short, {});
    await waitFor(() => started, { what: "the task to start" });
    const stopping = worker.stop({ gracePeriodMs: 5000 });
    finish();
    await stopping;
    expect(await client.getJob(job.id)).toMatchObject({ status: "COMPLETED", result: "finished" });
  });

  it("hands a job that outlives the grace period back to QUEUED without counting the attempt", async () => {
    let aborted = false;
    const long = defineTask("long", (_p, ctx) => {
      ctx.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => undefined);
    });
    const clock = new ManualClock();
    const { client, worker } = setup([long], { clock });
    await worker.start();
    const job = await client.enqueue(long, {});
    await waitFor(async () => (await client.getJob(job.id))?.status === "PROCESSING");
    const stopping = worker.stop({ gracePeriodMs: 60_000 });
    // The grace period runs on the worker's clock: the job is handed back once a minute passed for it.
    clock.advance(60_000);
    await stopping;
    expect(aborted).toBe(true);
    expect(await client.getJob(job.id)).toMatchObject({ status: "QUEUED", attempt: 0 });
  });

  it("aborts a running job that is canceled through its lost lease, with a LeaseLostError as the signal's reason", async () => {
    let reason: unknown;
    const long = defineTask("long", (_p, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason as unknown;
      });
      return new Promise(() => undefined);
    });
    const { client, worker } = setup([long], { leaseMs: 150 });
    const lost: string[] = [];
    worker.events.on("worker:lease-lost", ({ jobId }) => lost.push(jobId));
    await worker.start();
    const job = await client.enqueue(long, {});
    await waitFor(async () => (await client.getJob(job.id))?.status === "PROCESSING");
    await client.cancel(job.id);
    await waitFor(() => reason !== undefined, { what: "the task's signal to abort" });
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).toMatchObject({ code: "LEASE_LOST", details: { jobId: job.id } });
    expect(lost).toEqual([job.id]);
    expect((await client.getJob(job.id))?.status).toBe("CANCELED");
  });

  it("aborts a canceled running job at once through the store's cancel notice, long before a heartbeat", async () => {
    let reason: unknown;
    const long = defineTask("long", (_p, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason as unknown;
      });
      return new Promise(() => undefined);
    });
    // A 60 s lease: the heartbeat that would also tell the worker is 20 s away.
    const { client, worker } = setup([long], { leaseMs: 60_000 });
    await worker.start();
    const job = await client.enqueue(long, {});
    await waitFor(async () => (await client.getJob(job.id))?.status === "PROCESSING");
    await client.cancel(job.id);
    await waitFor(() => reason !== undefined, { timeoutMs: 5000, what: "the task's signal to abort" });
    expect(reason).toMatchObject({ code: "LEASE_LOST", details: { jobId: job.id } });
  });

  it("never starts a job whose claim was answered after its lease could have expired, and another worker completes it once", async () => {
    const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
    open.push(store);
    const client = new Client({ store, defaults: { maxAttempts: 1 } });
    const ran: string[] = [];
    const sideEffect = (who: string) => defineTask("side-effect", () => void ran.push(who));
    // The claim takes its jobs at once, but its reply comes after their 300 ms lease.
    const late = wrapStore(store, {
      claim: async (request) => {
        const jobs = await store.claim(request);
        if (jobs.length > 0) await new Promise((resolve) => setTimeout(resolve, 400));
        return jobs;
      },
    });
    const slow = new Worker({ store: late, tasks: [sideEffect("slow")], name: "slow", leaseMs: 300, idleWaitMs: 20, maintenance: false });
    open.push(slow);
    const skipped: string[] = [];
    slow.events.on("worker:job-skipped", ({ jobId, reason }) => skipped.push(`${jobId}:${reason}`));
    const job = await client.enqueue(sideEffect("client"), {});
    await slow.start();
    await waitFor(() => skipped.length > 0, { what: "the late claim's job to be skipped" });
    await slow.stop({ gracePeriodMs: 0 });
    expect(skipped[0]).toBe(`${job.id}:lease-expired`);
    const other = new Worker({ store, tasks: [sideEffect("other")], name: "other", leaseMs: 300, idleWaitMs: 20, maintenance: { intervalMs: 50 } });
    open.push(other);
    await other.start();
    expect(await client.wait(job.id, { timeoutMs: 5000 })).toMatchObject({ status: "COMPLETED", worker: "other" });
    expect(ran).toEqual(["other"]);
  });

  it("registers in the workers list while running and leaves it on stop", async () => {
    const { client, worker } = setup([echo], { name: "worker-1", queues: ["high", "default"], concurrency: 3, leaseMs: 300 });
    await worker.start();
    const workers = await client.workers();
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ name: "worker-1", queues: ["high", "default"], concurrency: 3, pid: process.pid });
    const job = await client.enqueue(echo, { value: 1 });
    await client.wait(job.id, { timeoutMs: 5000 });
    await waitFor(async () => (await client.workers())[0]?.processed === 1, { what: "processed count in heartbeat" });
    await worker.stop();
    expect(await client.workers()).toHaveLength(0);
  });

  it("rejects invalid options with INVALID_OPTIONS", () => {
    const store = new SqliteStore({ path: ":memory:" });
    open.push(store);
    expect(() => new Worker({ store, tasks: [], concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new Worker({ store, tasks: [], queues: ["bad queue"] })).toThrow(/queue/);
    expect(() => new Worker({ store, tasks: [], leaseMs: 0 })).toThrow(/leaseMs must be an integer from 100/);
    expect(() => new Worker({ store, tasks: [], leaseMs: Number.NaN })).toThrow(/leaseMs/);
    expect(() => new Worker({ store, tasks: [], gracePeriodMs: -1 })).toThrow(/gracePeriodMs/);
    expect(() => new Worker({ store, tasks: [], idleWaitMs: 0 })).toThrow(/idleWaitMs/);
  });
});
