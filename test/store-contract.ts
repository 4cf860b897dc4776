// The store contract suite: every store runs these cases, with a manual clock, so that each
// behaves the same. Call describeStoreContract from a *.test.ts file of the store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.js";
import { hasCode } from "../src/core/errors.js";
import type { JobEvent } from "../src/core/events.js";
import { newToken } from "../src/core/ids.js";
import type { ClaimedJob, MinuteFinishes, WorkerInfo } from "../src/core/job.js";
import type { ClaimRequest, Store } from "../src/core/store.js";
import { dependencyContractCases } from "./store-contract-dependencies.js";
import { limitContractCases } from "./store-contract-limits.js";
import { scheduleContractCases } from "./store-contract-schedules.js";
import { sessionContractCases } from "./store-contract-sessions.js";
import { newJob } from "./support/jobs.js";
import { waitFor } from "./support/wait-for.js";

/** How the suite gets fresh stores. */
export interface StoreFactory {
  name: string;
  /** A new, empty store whose time is `clock`. */
  create(clock: ManualClock): Promise<Store>;
  /** A second connection to the same data, as another process would have. */
  connectPeer?(store: Store, clock: ManualClock): Promise<Store>;
  /**
   * Case names to skip, with the reason in the caller. A factory without `connectPeer` names the
   * cases that need one here: such a case fails rather than pass having checked nothing.
   */
  skip?: string[];
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected error ${code}`).toBeDefined();
  expect((caught as { code?: string }).code).toBe(code);
}

function workerInfo(name: string, overrides: Partial<WorkerInfo> = {}): WorkerInfo {
  return {
    name,
    incarnation: newToken(),
    host: "test-host",
    pid: 999_999,
    queues: ["default"],
    tasks: [],
    concurrency: 1,
    state: "idle",
    startedAt: 0,
    heartbeatAt: 0,
    currentJobs: [],
    processed: 0,
    failed: 0,
    ...overrides,
  };
}

/** Defines the whole contract suite for one store. */
export function describeStoreContract(factory: StoreFactory): void {
  describe(`store contract: ${factory.name}`, () => {
    let clock: ManualClock;
    let store: Store;
    const extra: Store[] = [];
    const skip = new Set(factory.skip ?? []);
    const cases = new Set<string>();
    // Every case must assert something: one that returns early or checks nothing fails.
    const test = (name: string, fn: () => Promise<void>): void => {
      cases.add(name);
      const run = async (): Promise<void> => {
        expect.hasAssertions();
        await fn();
      };
      (skip.has(name) ? it.skip : it)(name, run, 20_000);
    };
    const claim = (overrides: Partial<ClaimRequest> = {}): Promise<ClaimedJob[]> =>
      store.claim({ queues: ["default"], worker: "w1", incarnation: "i1", limit: 10, leaseMs: 30_000, ...overrides });
    const claimOne = async (overrides: Partial<ClaimRequest> = {}): Promise<ClaimedJob> => {
      const [job] = await claim({ limit: 1, ...overrides });
      expect(job).toBeDefined();
      return job as ClaimedJob;
    };

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 5, 1));
      store = await factory.create(clock);
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
    });

    test("enqueues a job as QUEUED and reads it back", async () => {
      const input = newJob({ payload: { a: [1, "x"] }, meta: { projectId: "p1", userId: "u1", extra: true } });
      const [result] = await store.enqueue([input]);
      expect(result?.created).toBe(true);
      expect(result?.job.status).toBe("QUEUED");
      const job = await store.getJob(input.id);
      expect(job).toMatchObject({
        id: input.id,
        task: "noop",
        payload: { a: [1, "x"] },
        status: "QUEUED",
        attempt: 0,
        maxAttempts: 3,
        meta: { projectId: "p1", userId: "u1", extra: true },
        createdAt: clock.now(),
        enqueuedAt: clock.now(),
      });
      expect(await store.getJob("job_unknown")).toBeNull();
    });

    test("stores a batch atomically: one bad job stores none", async () => {
      const a = newJob();
      await store.enqueue([a]);
      const b = newJob();
      await expect(store.enqueue([b, newJob({ id: a.id })])).rejects.toBeDefined();
      expect(await store.getJob(b.id)).toBeNull();
    });

    test("refuses an id that a job already has, waiting, running or finished, with INVALID_OPTIONS", async () => {
      const running = newJob();
      const waiting = newJob();
      await store.enqueue([running, waiting]);
      const job = await claimOne();
      const refused = { code: "INVALID_OPTIONS" };
      await expect(store.enqueue([newJob({ id: waiting.id })])).rejects.toMatchObject(refused);
      await expect(store.enqueue([newJob({ id: running.id })])).rejects.toMatchObject(refused);
      await store.complete({ jobId: job.id, token: job.leaseToken }, null);
      await expect(store.enqueue([newJob({ id: running.id, queue: "other" })])).rejects.toMatchObject(refused);
      // Twice in one batch: neither is stored.
      const twice = newJob({ id: "job_twice" });
      await expect(store.enqueue([twice, { ...twice }])).rejects.toMatchObject(refused);
      expect(await store.getJob("job_twice")).toBeNull();
      expect(await store.getJob(waiting.id)).toMatchObject({ status: "QUEUED", payload: waiting.payload });
    });

    test("returns the existing job for a repeated idempotency key and stores nothing new", async () => {
      const first = newJob({ idempotencyKey: "wiki-42" });
      const second = newJob({ idempotencyKey: "wiki-42", payload: { other: true } });
      await store.enqueue([first]);
      const [again] = await store.enqueue([second]);
      expect(again?.created).toBe(false);
      expect(again?.job.id).toBe(first.id);
      expect(await store.getJob(second.id)).toBeNull();
      const page = await store.listJobs({}, 10, null);
      expect(page.jobs).toHaveLength(1);
      // Within one batch too: the second job with the key gets the first one back.
      const [a, b] = await store.enqueue([newJob({ idempotencyKey: "k2" }), newJob({ idempotencyKey: "k2" })]);
      expect([a?.created, b?.created]).toEqual([true, false]);
      expect(b?.job.id).toBe(a?.job.id);
      expect((await store.listJobs({}, 10, null)).jobs).toHaveLength(2);
    });

    test("holds a job as PENDING until enqueuePending", async () => {
      const input = newJob({ hold: true });
      const [created] = await store.enqueue([input]);
      expect(created?.job.status).toBe("PENDING");
      expect(await claim()).toHaveLength(0);
      const queued = await store.enqueuePending(input.id);
      expect(queued.status).toBe("QUEUED");
      await rejectsWith(store.enqueuePending(input.id), "INVALID_TRANSITION");
      await rejectsWith(store.enqueuePending("job_missing"), "JOB_NOT_FOUND");
      expect((await claimOne()).id).toBe(input.id);
    });

    test("enqueues a held job with a future run time as SCHEDULED", async () => {
      const input = newJob({ hold: true, runAt: clock.now() + 10_000 });
      await store.enqueue([input]);
      expect((await store.enqueuePending(input.id)).status).toBe("SCHEDULED");
      expect(await claim()).toHaveLength(0);
      clock.advance(10_000);
      expect((await claimOne()).id).toBe(input.id);
    });

    test("schedules a delayed job and claims it once due", async () => {
      const input = newJob({ delayMs: 5000 });
      const [result] = await store.enqueue([input]);
      expect(result?.job.status).toBe("SCHEDULED");
      expect(await claim()).toHaveLength(0);
      clock.advance(4999);
      expect(await claim()).toHaveLength(0);
      clock.advance(1);
      expect((await claimOne()).id).toBe(input.id);
    });

    test("promotes due scheduled jobs to QUEUED", async () => {
      const runAt = clock.now() + 1000;
      await store.enqueue([newJob({ runAt }), newJob({ runAt }), newJob({ runAt: runAt + 10_000 })]);
      expect(await store.promoteDue(100)).toBe(0);
      clock.advance(1000);
      expect(await store.promoteDue(100)).toBe(2);
      const page = await store.listJobs({ status: "QUEUED" }, 10, null);
      expect(page.jobs).toHaveLength(2);
    });

    test("claims in strict queue priority, FIFO within a queue", async () => {
      const d1 = newJob({ queue: "default" });
      const d2 = newJob({ queue: "default" });
      const h1 = newJob({ queue: "high" });
      const h2 = newJob({ queue: "high" });
      await store.enqueue([d1]);
      await store.enqueue([d2]);
      await store.enqueue([h1]);
      await store.enqueue([h2]);
      const first = await claim({ queues: ["high", "default"], limit: 3 });
      expect(first.map((j) => j.id)).toEqual([h1.id, h2.id, d1.id]);
      const second = await claim({ queues: ["high", "default"], limit: 3 });
      expect(second.map((j) => j.id)).toEqual([d2.id]);
    });

    test("claims a due retry of a high job before a default job", async () => {
      const h = newJob({ queue: "high", delayMs: 100 });
      const d = newJob({ queue: "default" });
      await store.enqueue([h, d]);
      clock.advance(100);
      const [job] = await claim({ queues: ["high", "default"], limit: 1 });
      expect(job?.id).toBe(h.id);
    });

    test("marks a claimed job PROCESSING with a lease, a worker and a counted attempt", async () => {
      const input = newJob();
      await store.enqueue([input]);
      const job = await claimOne({ worker: "worker-1" });
      expect(job.status).toBe("PROCESSING");
      expect(job.attempt).toBe(1);
      expect(job.worker).toBe("worker-1");
      expect(job.leaseToken.length).toBeGreaterThan(8);
      expect(job.leaseExpiresAt).toBe(clock.now() + 30_000);
      expect(job.startedAt).toBe(clock.now());
      expect(await claim()).toHaveLength(0);
    });

    test("completes a job with its result", async () => {
      await store.enqueue([newJob()]);
      const job = await claimOne();
      clock.advance(250);
      await store.complete({ jobId: job.id, token: job.leaseToken }, { pages: 12 });
      const done = await store.getJob(job.id);
      expect(done).toMatchObject({ status: "COMPLETED", result: { pages: 12 }, completedAt: clock.now() });
    });

    test("rejects a completion whose lease token is stale and changes nothing", async () => {
      await store.enqueue([newJob()]);
      const job = await claimOne();
      await rejectsWith(store.complete({ jobId: job.id, token: "stale" }, 1), "LEASE_LOST");
      await rejectsWith(store.fail({ jobId: job.id, token: "stale", error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null }), "LEASE_LOST");
      await rejectsWith(store.progress({ jobId: job.id, token: "stale" }, 50), "LEASE_LOST");
      await rejectsWith(store.release({ jobId: job.id, token: "stale" }), "LEASE_LOST");
      const after = await store.getJob(job.id);
      expect(after).toMatchObject({ status: "PROCESSING", attempt: 1, progress: null, result: null, error: null });
    });

    test("records progress under a valid lease", async () => {
      await store.enqueue([newJob()]);
      const job = await claimOne();
      await store.progress({ jobId: job.id, token: job.leaseToken }, { step: 2, total: 5 });
      expect((await store.getJob(job.id))?.progress).toEqual({ step: 2, total: 5 });
      // Progress is bounded like payloads (64 KiB): a larger report changes nothing.
      await rejectsWith(store.progress({ jobId: job.id, token: job.leaseToken }, "x".repeat(70_000)), "INVALID_PAYLOAD");
      expect((await store.getJob(job.id))?.progress).toEqual({ step: 2, total: 5 });
    });

    test("schedules a retry after a failure with attempts left, then fails for good", async () => {
      await store.enqueue([newJob({ maxAttempts: 2 })]);
      const first = await claimOne();
      const retried = await store.fail({
        jobId: first.id,
        token: first.leaseToken,
        error: { code: "TASK_ERROR", message: "boom" },
        retryDelayMs: 2000,
      });
      expect(retried.status).toBe("SCHEDULED");
      expect(retried.error?.message).toBe("boom");
      expect(await claim()).toHaveLength(0);
      clock.advance(2000);
      const second = await claimOne();
      expect(second.attempt).toBe(2);
      await rejectsWith(store.complete({ jobId: first.id, token: first.leaseToken }, 1), "LEASE_LOST");
      const failed = await store.fail({
        jobId: second.id,
        token: second.leaseToken,
        error: { code: "TASK_ERROR", message: "boom again", stack: "Error: boom again\n    at x" },
        retryDelayMs: null,
      });
      expect(failed).toMatchObject({ status: "FAILED", attempt: 2, error: { code: "TASK_ERROR", message: "boom again" } });
      expect(failed.completedAt).toBe(clock.now());
    });

    test("requeues a retry without delay at once", async () => {
      await store.enqueue([newJob()]);
      const job = await claimOne();
      const retried = await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: 0 });
      expect(retried.status).toBe("QUEUED");
      expect((await claimOne()).attempt).toBe(2);
    });

    test("extends held leases and reports lost ones", async () => {
      await store.enqueue([newJob(), newJob()]);
      const [a, b] = await claim({ limit: 2 });
      if (a === undefined || b === undefined) throw new Error("expected two jobs");
      await store.cancel(b.id);
      clock.advance(20_000);
      const lost = await store.extendLeases("w1", [
        { jobId: a.id, token: a.leaseToken },
        { jobId: b.id, token: b.leaseToken },
      ], 30_000);
      expect(lost).toEqual([b.id]);
      clock.advance(20_000);
      expect(await store.recoverExpired(10, 3)).toEqual({ requeued: 0, failed: 0 });
    });

    test("requeues a job whose lease expired, and fences the old lease", async () => {
      await store.enqueue([newJob()]);
      const job = await claimOne({ leaseMs: 1000 });
      clock.advance(999);
      expect(await store.recoverExpired(10, 3)).toEqual({ requeued: 0, failed: 0 });
      clock.advance(1);
      expect(await store.recoverExpired(10, 3)).toEqual({ requeued: 1, failed: 0 });
      const requeued = await store.getJob(job.id);
      expect(requeued).toMatchObject({ status: "QUEUED", stalls: 1 });
      const again = await claimOne({ worker: "w2" });
      // The old holder can neither extend the new attempt's lease nor settle it.
      expect(await store.extendLeases("w1", [{ jobId: job.id, token: job.leaseToken }], 30_000)).toEqual([job.id]);
      await rejectsWith(store.progress({ jobId: job.id, token: job.leaseToken }, 50), "LEASE_LOST");
      await rejectsWith(store.complete({ jobId: job.id, token: job.leaseToken }, "late"), "LEASE_LOST");
      await store.complete({ jobId: again.id, token: again.leaseToken }, "fresh");
      expect((await store.getJob(job.id))?.result).toBe("fresh");
    });

    test("fails a job with STALLED once it stalls more than the limit", async () => {
      await store.enqueue([newJob()]);
      for (let i = 0; i < 2; i++) {
        await claimOne({ leaseMs: 1000 });
        clock.advance(1000);
        expect(await store.recoverExpired(10, 2)).toEqual({ requeued: 1, failed: 0 });
      }
      const job = await claimOne({ leaseMs: 1000 });
      clock.advance(1000);
      expect(await store.recoverExpired(10, 2)).toEqual({ requeued: 0, failed: 1 });
      const failed = await store.getJob(job.id);
      expect(failed).toMatchObject({ status: "FAILED", stalls: 3, error: { code: "STALLED" } });
    });

    test("hands a running job back to the head of its queue without counting the attempt", async () => {
      const a = newJob();
      const b = newJob();
      await store.enqueue([a, b]);
      const job = await claimOne();
      expect(job.id).toBe(a.id);
      await store.release({ jobId: job.id, token: job.leaseToken });
      const back = await store.getJob(a.id);
      expect(back).toMatchObject({ status: "QUEUED", attempt: 0 });
      expect((await claimOne()).id).toBe(a.id);
    });

    test("cancels non-final jobs, including a running one, and refuses final ones", async () => {
      const queued = newJob();
      const running = newJob();
      await store.enqueue([running, queued]);
      const job = await claimOne();
      const canceledWaiting = await store.cancel(queued.id);
      expect(canceledWaiting).toMatchObject({ status: "CANCELED", task: "noop", payload: queued.payload });
      expect(canceledWaiting).toEqual(await store.getJob(queued.id));
      const canceledRunning = await store.cancel(job.id);
      expect(canceledRunning).toMatchObject({ status: "CANCELED", task: "noop", payload: running.payload, attempt: 1 });
      expect(canceledRunning).toEqual(await store.getJob(job.id));
      await rejectsWith(store.complete({ jobId: job.id, token: job.leaseToken }, 1), "LEASE_LOST");
      await rejectsWith(store.cancel(job.id), "INVALID_TRANSITION");
      await rejectsWith(store.cancel("job_missing"), "JOB_NOT_FOUND");
      expect(await claim()).toHaveLength(0);
    });

    test("retries a FAILED or CANCELED job with a fresh attempt count", async () => {
      await store.enqueue([newJob({ maxAttempts: 1 })]);
      const job = await claimOne();
      await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      const retried = await store.retry(job.id);
      expect(retried).toMatchObject({ status: "QUEUED", attempt: 0, error: null, task: "noop", payload: job.payload, maxAttempts: 1 });
      // The job a transition returns is the stored one, whole.
      expect(retried).toEqual(await store.getJob(job.id));
      await rejectsWith(store.retry(job.id), "INVALID_TRANSITION");
      const again = await claimOne();
      await store.complete({ jobId: again.id, token: again.leaseToken }, null);
      await rejectsWith(store.retry(job.id), "INVALID_TRANSITION");
    });

    test("retries every failed job of a queue in bounded batches", async () => {
      const jobs = [newJob({ queue: "q1" }), newJob({ queue: "q1" }), newJob({ queue: "q2" })];
      await store.enqueue(jobs);
      for (const queue of ["q1", "q1", "q2"]) {
        const job = await claimOne({ queues: [queue] });
        await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      }
      expect(await store.retryAllFailed("q1", 1)).toBe(1);
      expect(await store.retryAllFailed("q1", 10)).toBe(1);
      expect(await store.retryAllFailed(null, 10)).toBe(1);
      expect((await store.listJobs({ status: "FAILED" }, 10, null)).jobs).toHaveLength(0);
    });

    test("counts each manual retry in retries while the attempt count restarts", async () => {
      const input = newJob({ maxAttempts: 1 });
      await store.enqueue([input]);
      const failForGood = async (): Promise<ClaimedJob> => {
        const job = await claimOne();
        await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
        return job;
      };
      expect(await failForGood()).toMatchObject({ attempt: 1, retries: 0 });
      expect(await store.getJob(input.id)).toMatchObject({ status: "FAILED", retries: 0 });
      expect(await store.retry(input.id)).toMatchObject({ status: "QUEUED", attempt: 0, retries: 1 });
      // The claimed record carries the count too: a worker sees it is running a retried job.
      expect(await failForGood()).toMatchObject({ attempt: 1, retries: 1 });
      const twice = await store.retry(input.id);
      expect(twice).toMatchObject({ status: "QUEUED", attempt: 0, retries: 2, error: null });
      expect(twice).toEqual(await store.getJob(input.id));
      // A canceled job's retry counts as well.
      await claimOne();
      await store.cancel(input.id);
      expect(await store.retry(input.id)).toMatchObject({ status: "QUEUED", retries: 3 });
      // retryAllFailed counts in the same transition, and listings show the count.
      await failForGood();
      const other = newJob({ maxAttempts: 1 });
      await store.enqueue([other]);
      await failForGood();
      expect(await store.retryAllFailed(null, 10)).toBe(2);
      expect(await store.getJob(input.id)).toMatchObject({ status: "QUEUED", attempt: 0, retries: 4 });
      expect(await store.getJob(other.id)).toMatchObject({ status: "QUEUED", attempt: 0, retries: 1 });
      const listed = (await store.listJobs({ status: "QUEUED" }, 10, null)).jobs;
      expect(Object.fromEntries(listed.map((job) => [job.id, job.retries]))).toEqual({ [input.id]: 4, [other.id]: 1 });
    });

    test("removes a job unless it is running", async () => {
      const a = newJob();
      const b = newJob();
      await store.enqueue([a, b]);
      const job = await claimOne();
      await rejectsWith(store.remove(job.id), "INVALID_TRANSITION");
      await store.remove(b.id);
      expect(await store.getJob(b.id)).toBeNull();
      await rejectsWith(store.remove(b.id), "JOB_NOT_FOUND");
      expect(await claim()).toHaveLength(0);
    });

    test("prunes finished jobs past their retention, in bounded batches", async () => {
      const done = newJob({ resultTtlSeconds: 10 });
      const failed = newJob({ failureTtlSeconds: 100 });
      await store.enqueue([done, failed]);
      const a = await claimOne();
      await store.complete({ jobId: a.id, token: a.leaseToken }, 1);
      const b = await claimOne();
      await store.fail({ jobId: b.id, token: b.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      clock.advance(9_999);
      expect(await store.prune(100)).toBe(0);
      clock.advance(1);
      expect(await store.prune(100)).toBe(1);
      expect(await store.getJob(done.id)).toBeNull();
      expect(await store.getJob(failed.id)).not.toBeNull();
      clock.advance(90_000);
      expect(await store.prune(100)).toBe(1);
      expect(await store.getJob(failed.id)).toBeNull();
    });

    test("prunes jobs completed together one bounded batch at a time, and only those still due", async () => {
      const jobs = [newJob({ resultTtlSeconds: 10 }), newJob({ resultTtlSeconds: 10 }), newJob({ resultTtlSeconds: 10 }), newJob({ resultTtlSeconds: 10 })];
      await store.enqueue(jobs);
      const claimed = await claim({ limit: 4 });
      expect(claimed).toHaveLength(4);
      // Settled in the same turn: a store may record their retention together.
      await Promise.all(claimed.map((job) => store.complete({ jobId: job.id, token: job.leaseToken }, null)));
      const [first, second, third, fourth] = claimed.map((job) => job.id) as [string, string, string, string];
      await store.remove(third);
      clock.advance(9_999);
      expect(await store.prune(100)).toBe(0);
      clock.advance(1);
      // Never more than the limit per call; the removed job is not counted.
      let pruned = 0;
      for (let call = 0; call < 6; call++) {
        const n = await store.prune(1);
        expect(n).toBeLessThanOrEqual(1);
        pruned += n;
      }
      expect(pruned).toBe(3);
      for (const id of [first, second, fourth]) expect(await store.getJob(id)).toBeNull();
    });

    test("counts finishes per queue and minute for the last hour", async () => {
      const start = clock.now(); // a whole minute (Date.UTC)
      await store.enqueue([newJob({ queue: "a" }), newJob({ queue: "a" }), newJob({ queue: "b", maxAttempts: 1 }), newJob({ queue: "a" })]);
      for (const job of await claim({ queues: ["a"], limit: 2 })) await store.complete({ jobId: job.id, token: job.leaseToken }, null);
      const b = await claimOne({ queues: ["b"] });
      await store.fail({ jobId: b.id, token: b.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      clock.advance(61_000);
      const late = await claimOne({ queues: ["a"] });
      await store.complete({ jobId: late.id, token: late.leaseToken }, null);
      const sorted = (rows: MinuteFinishes[]) => [...rows].sort((x, y) => x.minute - y.minute || x.queue.localeCompare(y.queue));
      expect(sorted(await store.finishesPerMinute(start))).toEqual([
        { queue: "a", minute: start, completed: 2, failed: 0 },
        { queue: "b", minute: start, completed: 0, failed: 1 },
        { queue: "a", minute: start + 60_000, completed: 1, failed: 0 },
      ]);
      // `since` inside a minute counts that whole minute; later minutes only after it.
      expect(await store.finishesPerMinute(start + 60_500)).toEqual([{ queue: "a", minute: start + 60_000, completed: 1, failed: 0 }]);
    });

    test("purges finished jobs by status, queue and age", async () => {
      await store.enqueue([newJob({ queue: "a" }), newJob({ queue: "b" }), newJob({ queue: "b" })]);
      for (const queue of ["a", "b", "b"]) {
        const job = await claimOne({ queues: [queue] });
        await store.complete({ jobId: job.id, token: job.leaseToken }, null);
      }
      clock.advance(1000);
      expect(await store.purge({ status: "COMPLETED", queue: "b", finishedBefore: clock.now() - 5000, limit: 10 })).toBe(0);
      expect(await store.purge({ status: "COMPLETED", queue: "b", finishedBefore: clock.now(), limit: 10 })).toBe(2);
      expect(await store.purge({ status: "FAILED", finishedBefore: clock.now(), limit: 10 })).toBe(0);
      expect(await store.purge({ status: "COMPLETED", finishedBefore: clock.now(), limit: 10 })).toBe(1);
    });

    test("lists jobs newest first with filters and a cursor", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const job = newJob({ queue: i % 2 === 0 ? "even" : "odd", task: i < 3 ? "alpha" : "beta", meta: { projectId: `p${i % 3}`, userId: "u1" } });
        ids.push(job.id);
        await store.enqueue([job]);
        clock.advance(1);
      }
      const newest = [...ids].reverse();
      const page1 = await store.listJobs({}, 3, null);
      expect(page1.jobs.map((j) => j.id)).toEqual(newest.slice(0, 3));
      const page2 = await store.listJobs({}, 3, page1.nextCursor);
      expect(page2.jobs.map((j) => j.id)).toEqual(newest.slice(3, 6));
      const page3 = await store.listJobs({}, 3, page2.nextCursor);
      expect(page3.jobs.map((j) => j.id)).toEqual(newest.slice(6));
      expect(page3.nextCursor).toBeNull();
      expect((await store.listJobs({ queue: "even" }, 10, null)).jobs).toHaveLength(4);
      expect((await store.listJobs({ task: "alpha" }, 10, null)).jobs).toHaveLength(3);
      expect((await store.listJobs({ projectId: "p0" }, 10, null)).jobs.map((j) => j.id)).toEqual([ids[6], ids[3], ids[0]]);
      expect((await store.listJobs({ userId: "u1", queue: "odd", task: "beta" }, 10, null)).jobs).toHaveLength(2);
      await claim({ queues: ["even"], limit: 1 });
      expect((await store.listJobs({ status: "PROCESSING" }, 10, null)).jobs.map((j) => j.id)).toEqual([ids[0]]);
      expect((await store.listJobs({ status: "QUEUED", queue: "even" }, 10, null)).jobs).toHaveLength(3);
      await claim({ queues: ["odd"], limit: 3 });
      const running = [ids[5], ids[3], ids[1], ids[0]];
      const first = await store.listJobs({ status: "PROCESSING" }, 2, null);
      const rest = await store.listJobs({ status: "PROCESSING" }, 5, first.nextCursor);
      expect([...first.jobs, ...rest.jobs].map((j) => j.id)).toEqual(running);
      expect((await store.listJobs({}, 10, null)).jobs.map((j) => j.id)).toEqual(newest);
    });

    test("lists waiting jobs of several queues newest first by id, whatever their place in the queues", async () => {
      const runAt = clock.now() + 1000;
      const jobs = [
        newJob({ queue: "a" }),
        newJob({ queue: "b", runAt }),
        newJob({ queue: "a" }),
        newJob({ queue: "b" }),
        newJob({ queue: "a" }),
        newJob({ queue: "b" }),
        newJob({ queue: "c" }),
      ];
      const ids = jobs.map((j) => j.id);
      for (const job of jobs) await store.enqueue([job]);
      const released = await claimOne({ queues: ["a"] });
      expect(released.id).toBe(ids[0]);
      await store.release({ jobId: released.id, token: released.leaseToken });
      await store.cancel(ids[2] as string);
      await store.retry(ids[2] as string);
      await store.remove(ids[3] as string);
      expect((await claimOne({ queues: ["c"] })).id).toBe(ids[6]);
      clock.advance(1000);
      expect(await store.promoteDue(100)).toBe(1);
      const waiting = [ids[5], ids[4], ids[2], ids[1], ids[0]];
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages === 0 || (cursor !== null && pages < 10); pages++) {
        const page = await store.listJobs({ status: "QUEUED" }, 2, cursor);
        expect(page.jobs.length).toBeLessThanOrEqual(2);
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(waiting);
      expect((await store.listJobs({ status: "QUEUED", queue: "b" }, 10, null)).jobs.map((j) => j.id)).toEqual([ids[5], ids[1]]);
      const first = await store.listJobs({}, 4, null);
      const rest = await store.listJobs({}, 10, first.nextCursor);
      expect([...first.jobs, ...rest.jobs].map((j) => j.id)).toEqual([ids[6], ...waiting]);
    });

    test("rejects a cursor it never handed out", async () => {
      const jobs = [newJob(), newJob(), newJob()];
      await store.enqueue(jobs);
      const first = await store.listJobs({}, 1, null);
      const handedOut = first.nextCursor ?? "";
      expect(handedOut).toBe(jobs[2]?.id);
      for (const cursor of ["garbage", handedOut.slice(0, -3), `${handedOut}\n`, `job_\u0000${handedOut.slice(5)}`, "", "x".repeat(300)]) {
        await rejectsWith(store.listJobs({}, 10, cursor), "INVALID_CURSOR");
      }
      // A cursor handed out stays good when its job goes, and so does a caller's own id as long as its job is there.
      await store.remove(handedOut);
      expect((await store.listJobs({}, 10, handedOut)).jobs.map((j) => j.id)).toEqual([jobs[1]?.id, jobs[0]?.id]);
      await store.enqueue([newJob({ id: "job_own-id" })]);
      const own = await store.listJobs({}, 1, null);
      expect(own.nextCursor).toBe("job_own-id");
      expect((await store.listJobs({}, 10, own.nextCursor)).jobs.map((j) => j.id)).toEqual([jobs[1]?.id, jobs[0]?.id]);
    });

    test("counts jobs by queue and status, with the oldest waiting age", async () => {
      await store.enqueue([newJob({ queue: "high" })]);
      clock.advance(5000);
      await store.enqueue([newJob({ queue: "high" }), newJob({ queue: "default" }), newJob({ queue: "default", delayMs: 1000 })]);
      const job = await claimOne({ queues: ["default"] });
      await store.complete({ jobId: job.id, token: job.leaseToken }, null);
      clock.advance(1000);
      const stats = await store.stats();
      const high = stats.find((s) => s.queue === "high");
      const def = stats.find((s) => s.queue === "default");
      expect(high?.counts.QUEUED).toBe(2);
      expect(high?.oldestWaitingMs).toBe(6000);
      expect(def?.counts).toMatchObject({ COMPLETED: 1, SCHEDULED: 1, QUEUED: 0 });
      expect(def?.completedLastMinute).toBe(1);
      expect(def?.oldestWaitingMs).toBeNull();
    });

    test("skips a paused queue until it is resumed", async () => {
      await store.enqueue([newJob({ queue: "high" }), newJob({ queue: "default" })]);
      await store.pauseQueue("high");
      const [job] = await claim({ queues: ["high", "default"], limit: 5 });
      expect(job?.queue).toBe("default");
      expect((await store.stats()).find((s) => s.queue === "high")?.paused).toBe(true);
      await store.resumeQueue("high");
      expect((await claimOne({ queues: ["high"] })).queue).toBe("high");
    });

    test("registers workers, lists live ones, and forgets silent ones", async () => {
      const info = workerInfo("worker-1", { queues: ["high", "default"], concurrency: 4 });
      expect(await store.registerWorker(info, 3)).toBe(0);
      let workers = await store.listWorkers(30_000);
      expect(workers).toHaveLength(1);
      expect(workers[0]).toMatchObject({ name: "worker-1", queues: ["high", "default"], concurrency: 4, host: "test-host" });
      clock.advance(20_000);
      expect(await store.heartbeatWorker({ ...info, processed: 5, state: "busy", currentJobs: ["job_x"] })).toBe(true);
      clock.advance(20_000);
      workers = await store.listWorkers(30_000);
      expect(workers[0]).toMatchObject({ processed: 5, state: "busy", currentJobs: ["job_x"] });
      clock.advance(30_001);
      expect(await store.listWorkers(30_000)).toHaveLength(0);
      await store.unregisterWorker("worker-1", info.incarnation);
      clock.advance(-30_001);
      expect(await store.listWorkers(30_000)).toHaveLength(0);
    });

    test("releases a dead incarnation's jobs at once when a worker restarts under its name", async () => {
      await store.enqueue([newJob(), newJob()]);
      const old = workerInfo("worker-1");
      await store.registerWorker(old, 3);
      const jobs = await claim({ worker: "worker-1", incarnation: old.incarnation, limit: 2 });
      expect(jobs).toHaveLength(2);
      const fresh = workerInfo("worker-1");
      expect(await store.registerWorker(fresh, 3)).toBe(2);
      expect(await store.heartbeatWorker(old)).toBe(false);
      const requeued = await store.listJobs({ status: "QUEUED" }, 10, null);
      expect(requeued.jobs.map((j) => j.stalls)).toEqual([1, 1]);
      await rejectsWith(store.complete({ jobId: jobs[0]?.id ?? "", token: jobs[0]?.leaseToken ?? "" }, 1), "LEASE_LOST");
    });

    test("fails with STALLED a job whose worker keeps restarting under the same name", async () => {
      const input = newJob();
      await store.enqueue([input]);
      let holder = workerInfo("worker-1");
      await store.registerWorker(holder, 2);
      for (let restart = 1; restart <= 3; restart++) {
        const [job] = await claim({ worker: "worker-1", incarnation: holder.incarnation, limit: 1 });
        expect(job?.id).toBe(input.id);
        holder = workerInfo("worker-1");
        expect(await store.registerWorker(holder, 2)).toBe(restart <= 2 ? 1 : 0);
      }
      expect(await store.getJob(input.id)).toMatchObject({ status: "FAILED", stalls: 3, error: { code: "STALLED" } });
    });

    test("keeps a timeline of each job's events", async () => {
      const input = newJob({ maxAttempts: 2 });
      await store.enqueue([input]);
      const a = await claimOne();
      await store.fail({ jobId: a.id, token: a.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: 0 });
      const b = await claimOne({ worker: "w2" });
      await store.progress({ jobId: b.id, token: b.leaseToken }, 50);
      await store.complete({ jobId: b.id, token: b.leaseToken }, "ok");
      const events = await store.jobEvents(input.id);
      expect(events.map((e) => e.type)).toEqual([
        "job:enqueued",
        "job:started",
        "job:retrying",
        "job:started",
        "job:progress",
        "job:completed",
      ]);
      expect(events[3]).toMatchObject({ worker: "w2", attempt: 2 });
      expect(events[2]?.error?.message).toBe("x");
    });

    test("answers the first 1,000 events of a job retried without end", async () => {
      const input = newJob({ maxAttempts: 1 });
      await store.enqueue([input]);
      // Each round adds a start, a failure and a re-enqueue.
      for (let round = 0; round < 340; round++) {
        const job = await claimOne();
        await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "again" }, retryDelayMs: null });
        await store.retry(input.id);
      }
      // Completed at last: events the Redis store rebuilds from the hash come after the cut too.
      const last = await claimOne();
      await store.complete({ jobId: last.id, token: last.leaseToken }, null);
      const events = await store.jobEvents(input.id);
      expect(events).toHaveLength(1000);
      expect(events.slice(0, 4).map((e) => e.type)).toEqual(["job:enqueued", "job:started", "job:failed", "job:enqueued"]);
    });

    test("shows a running job's start in its timeline, once, before and after it settles", async () => {
      const input = newJob();
      await store.enqueue([input]);
      const a = await claimOne();
      expect((await store.jobEvents(input.id)).map((e) => e.type)).toEqual(["job:enqueued", "job:started"]);
      await store.release({ jobId: a.id, token: a.leaseToken });
      const b = await claimOne();
      await store.progress({ jobId: b.id, token: b.leaseToken }, 1);
      expect((await store.jobEvents(input.id)).map((e) => e.type)).toEqual(["job:enqueued", "job:started", "job:released", "job:started", "job:progress"]);
      const events = await store.jobEvents(input.id);
      expect(events[3]).toMatchObject({ status: "PROCESSING", attempt: b.attempt, at: b.startedAt });
    });

    test("keeps the timeline of a job that completed at its first attempt", async () => {
      const input = newJob();
      await store.enqueue([input]);
      clock.advance(5);
      const job = await claimOne({ worker: "w9" });
      clock.advance(7);
      await store.complete({ jobId: job.id, token: job.leaseToken }, "done");
      const events = await store.jobEvents(input.id);
      expect(events.map((e) => [e.type, e.status, e.attempt])).toEqual([
        ["job:enqueued", "QUEUED", 0],
        ["job:started", "PROCESSING", 1],
        ["job:completed", "COMPLETED", 1],
      ]);
      expect(events[1]).toMatchObject({ worker: "w9", at: job.startedAt, durationMs: 5 });
      expect(events[2]).toMatchObject({ worker: "w9", durationMs: 7 });
    });

    test("delivers job events to watchers", async () => {
      const seen: JobEvent[] = [];
      const unwatch = await store.watch((e) => seen.push(e));
      const input = newJob();
      await store.enqueue([input]);
      const job = await claimOne();
      await store.complete({ jobId: job.id, token: job.leaseToken }, 1);
      await waitFor(() => seen.length >= 3, { what: "three events" });
      expect(seen.map((e) => e.type)).toEqual(["job:enqueued", "job:started", "job:completed"]);
      expect(seen.every((e) => e.jobId === input.id)).toBe(true);
      await unwatch();
    });

    test("delivers new events to a watcher that resumes after a sequence past the log's end", async () => {
      await store.enqueue([newJob()]);
      // Either store's form, and numbers too large for it.
      for (const afterSeq of ["99999999999999999999", "99999999999999999999-0", "18446744073709551615-18446744073709551615", "9000000000000-0", "900000"]) {
        const seen: JobEvent[] = [];
        const unwatch = await store.watch((e) => seen.push(e), { afterSeq });
        const input = newJob();
        await store.enqueue([input]);
        await waitFor(() => seen.some((e) => e.jobId === input.id), { what: `the event after ${afterSeq}` });
        expect(seen.find((e) => e.jobId === input.id)?.type).toBe("job:enqueued");
        await unwatch();
      }
    });

    test("wakes a waiting worker when a job is enqueued by another connection", async () => {
      if (factory.connectPeer === undefined) throw new Error(`${factory.name} has no connectPeer: name this case in its skip list, with the reason`);
      const peer = await factory.connectPeer(store, clock);
      extra.push(peer);
      const controller = new AbortController();
      // As a worker does: an empty claim, a first wait (which may answer at once while the store
      // starts listening), and a claim after it; the next wait is then the one under test.
      expect(await claim()).toHaveLength(0);
      await store.waitForWork(["default"], 10, controller.signal);
      expect(await claim()).toHaveLength(0);
      const started = Date.now();
      const waiting = store.waitForWork(["default"], 5000, controller.signal);
      await peer.enqueue([newJob()]);
      await waiting;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await claim()).toHaveLength(1);
    });

    test("rejects unknown jobs with JOB_NOT_FOUND", async () => {
      // One at a time: calls started together on a store with several connections may settle in any order.
      for (const action of [() => store.cancel("job_x"), () => store.retry("job_x"), () => store.remove("job_x")]) {
        await rejectsWith(action(), "JOB_NOT_FOUND");
      }
      expect(hasCode(new Error("x"), "JOB_NOT_FOUND")).toBe(false);
    });

    test("reports itself healthy", async () => {
      const health = await store.health();
      expect(health.ok).toBe(true);
    });

    const peer = async (): Promise<Store | null> => {
      if (factory.connectPeer === undefined) return null;
      const connected = await factory.connectPeer(store, clock);
      extra.push(connected);
      return connected;
    };
    scheduleContractCases(test, { store: () => store, clock: () => clock, peer });
    dependencyContractCases(test, { store: () => store, clock: () => clock, peer });
    limitContractCases(test, { store: () => store, clock: () => clock });
    sessionContractCases(test, { store: () => store, clock: () => clock, peer });

    // A skip name that names no case (a typo, a renamed case) would skip nothing and say so nowhere.
    it("skips only cases that exist", () => {
      expect([...skip].filter((name) => !cases.has(name))).toEqual([]);
    });
  });
}
