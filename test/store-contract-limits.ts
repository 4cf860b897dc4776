// The store contract for per-key limits and fair claiming (decision 0023): concurrency slots
// that belong to leases, rate buckets, round-robin lanes that never block a queue, settings an
// operator changes at run time, and postponed attempts. describeStoreContract runs it for every store.
import { expect } from "vitest";
import type { ManualClock } from "../src/core/clock.js";
import type { ClaimedJob, NewJob } from "../src/core/job.js";
import type { LimitKey } from "../src/core/limits.js";
import type { ClaimRequest, Store } from "../src/core/store.js";
import { newJob } from "./support/jobs.js";

/** What a limit case gets: the store under test and its clock. */
export interface LimitCaseContext {
  store(): Store;
  clock(): ManualClock;
}

type Case = (name: string, fn: () => Promise<void>) => void;

const tenant = (key: string, extra: LimitKey[] = []): LimitKey[] => [{ name: "per-project", key }, ...extra];

/** Declares the limit cases with the suite's own `test`, so skip lists and assertion checks apply. */
export function limitContractCases(test: Case, ctx: LimitCaseContext): void {
  const store = (): Store => ctx.store();
  const claim = (overrides: Partial<ClaimRequest> = {}): Promise<ClaimedJob[]> =>
    store().claim({ queues: ["default"], worker: "w1", incarnation: "i1", limit: 10, leaseMs: 30_000, ...overrides });
  const limited = (key: string, overrides: Partial<NewJob> = {}): NewJob => newJob({ limitKeys: tenant(key), ...overrides });
  const declare = (name: string, settings: { concurrency?: number | null; rate?: { limit: number; periodMs: number; burst: number } | null }, key: string | null = null) =>
    store().upsertLimit({ name, key, concurrency: settings.concurrency ?? null, rate: settings.rate ?? null, source: "declared" });

  test("starts at most `concurrency` jobs of a key at once, across claims, and frees the slot on completion", async () => {
    await declare("per-project", { concurrency: 2 });
    const jobs = Array.from({ length: 5 }, () => limited("42"));
    await store().enqueue(jobs);
    const first = await claim();
    expect(first.map((j) => j.id)).toEqual([jobs[0]?.id, jobs[1]?.id]);
    expect(await claim()).toHaveLength(0);
    expect(await store().getLimit("per-project", "42")).toMatchObject({ running: 2, waiting: 3, concurrency: 2, atLimit: true });
    const done = first[0] as ClaimedJob;
    await store().complete({ jobId: done.id, token: done.leaseToken }, null);
    expect((await claim()).map((j) => j.id)).toEqual([jobs[2]?.id]);
    expect((await store().getJob(jobs[2]?.id ?? ""))?.limitKeys).toEqual(tenant("42"));
  });

  test("never blocks the queue: a key at its limit lets other keys and unlimited jobs through", async () => {
    await declare("per-project", { concurrency: 1 });
    const a = [limited("A"), limited("A"), limited("A")];
    const b = [limited("B"), limited("B")];
    const plain = [newJob(), newJob()];
    await store().enqueue([...a, ...b, ...plain]);
    const claimed = (await claim()).map((j) => j.id).sort();
    expect(claimed).toEqual([a[0]?.id, b[0]?.id, plain[0]?.id, plain[1]?.id].sort());
  });

  test("serves keys round-robin, so a key with few waiting progresses beside one with many, FIFO within each", async () => {
    await declare("per-project", { concurrency: 1000 });
    const big = Array.from({ length: 30 }, () => limited("big"));
    const small = Array.from({ length: 3 }, () => limited("small"));
    await store().enqueue([...big, ...small]);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push(...(await claim({ limit: 1 })).map((j) => j.id));
    expect(order.filter((id) => small.some((j) => j.id === id))).toEqual(small.map((j) => j.id));
    expect(order.filter((id) => big.some((j) => j.id === id))).toEqual(big.slice(0, 3).map((j) => j.id));
  });

  test("keeps strict priority between queues with limited jobs", async () => {
    await declare("per-project", { concurrency: 5 });
    const low = newJob({ queue: "low" });
    const high = limited("7", { queue: "high" });
    await store().enqueue([low, high]);
    expect((await claim({ queues: ["high", "low"], limit: 1 })).map((j) => j.id)).toEqual([high.id]);
  });

  test("frees a slot whenever the lease ends: fail, retry with backoff, cancel, release, expiry, restart", async () => {
    await declare("per-project", { concurrency: 1 });
    const ends: Array<(job: ClaimedJob) => Promise<unknown>> = [
      (job) => store().fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null }),
      (job) => store().fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: 60_000 }),
      (job) => store().cancel(job.id),
      (job) => store().release({ jobId: job.id, token: job.leaseToken }),
      async () => {
        ctx.clock().advance(31_000);
        await store().recoverExpired(10, 5);
      },
    ];
    for (const [i, end] of ends.entries()) {
      await store().enqueue([limited(`k${i}`), limited(`k${i}`)]);
      const [job] = await claim({ limit: 1 });
      expect((await claim()).map((j) => j.limitKeys), `end #${i}: a second job of the key`).toEqual([]);
      await end(job as ClaimedJob);
      expect((await store().getLimit("per-project", `k${i}`))?.running, `end #${i}`).toBe(0);
      // The key's other jobs start again, one at a time.
      let started = 0;
      for (let next = await claim(); next.length > 0; next = await claim()) {
        expect(next, `end #${i}: one at a time`).toHaveLength(1);
        started += 1;
        await store().complete({ jobId: (next[0] as ClaimedJob).id, token: (next[0] as ClaimedJob).leaseToken }, null);
      }
      expect(started, `end #${i}`).toBeGreaterThanOrEqual(1);
    }
    // A worker that restarts under its name releases its dead incarnation's jobs, and their slots.
    await store().enqueue([limited("restart"), limited("restart")]);
    await claim({ incarnation: "old" });
    await store().registerWorker({ name: "w1", incarnation: "new", host: "h", pid: 1, queues: ["default"], tasks: [], concurrency: 1, state: "idle", startedAt: 0, heartbeatAt: 0, currentJobs: [], processed: 0, failed: 0 }, 5);
    expect((await store().getLimit("per-project", "restart"))?.running).toBe(0);
  });

  test("starts at most limit + burst jobs per period under a rate", async () => {
    await declare("api", { rate: { limit: 2, periodMs: 1000, burst: 1 } });
    await store().enqueue(Array.from({ length: 10 }, () => newJob({ limitKeys: [{ name: "api", key: "openai" }] })));
    let started = (await claim()).length;
    expect(started).toBe(1);
    ctx.clock().advance(500);
    started += (await claim()).length;
    ctx.clock().advance(500);
    started += (await claim()).length;
    expect(started).toBe(3);
    ctx.clock().advance(10_000);
    // A long quiet spell refills the bucket to its size only.
    expect(await claim()).toHaveLength(1);
    expect(await store().getLimit("api", "openai")).toMatchObject({ rate: { limit: 2, periodMs: 1000, burst: 1 }, running: 4, atLimit: true });
  });

  test("starts a job only when every limit it is under admits it", async () => {
    await declare("per-project", { concurrency: 5 });
    await declare("api", { concurrency: 1 });
    const first = limited("1", { limitKeys: tenant("1", [{ name: "api", key: "shared" }]) });
    const second = limited("2", { limitKeys: tenant("2", [{ name: "api", key: "shared" }]) });
    await store().enqueue([first, second]);
    expect((await claim()).map((j) => j.id)).toEqual([first.id]);
    expect((await store().getLimit("api", "shared"))?.running).toBe(1);
  });

  test("lets an operator change one key's limit at run time, and clear it back to the declared one", async () => {
    await declare("per-project", { concurrency: 1 });
    await store().enqueue(Array.from({ length: 6 }, () => limited("vip")));
    await store().upsertLimit({ name: "per-project", key: "vip", concurrency: 3, rate: null, source: "operator" });
    // A worker declaring the default again does not undo the operator's override.
    await declare("per-project", { concurrency: 1 });
    expect(await claim()).toHaveLength(3);
    expect(await store().getLimit("per-project", "vip")).toMatchObject({ concurrency: 3, running: 3, waiting: 3 });
    await store().removeLimit("per-project", "vip");
    expect(await store().getLimit("per-project", "vip")).toMatchObject({ concurrency: 1, running: 3 });
    expect(await claim()).toHaveLength(0);
    const page = await store().listLimits(10, null);
    expect(page.limits.map((l) => [l.name, l.key])).toEqual([["per-project", "vip"]]);
  });

  test("admits every job under a limit that has no setting yet", async () => {
    await store().enqueue([newJob({ limitKeys: [{ name: "undeclared", key: "x" }] }), newJob({ limitKeys: [{ name: "undeclared", key: "x" }] })]);
    expect(await claim()).toHaveLength(2);
  });

  test("postpones an attempt without counting it, and counts the postponements", async () => {
    const input = newJob({ maxAttempts: 1 });
    await store().enqueue([input]);
    const [job] = await claim();
    const postponed = await store().fail({ jobId: input.id, token: (job as ClaimedJob).leaseToken, error: { code: "TASK_ERROR", message: "429" }, retryDelayMs: 5000, postpone: true });
    expect(postponed).toMatchObject({ status: "SCHEDULED", attempt: 0, postponements: 1, runAt: ctx.clock().now() + 5000 });
    ctx.clock().advance(5000);
    const [again] = await claim();
    expect(again).toMatchObject({ id: input.id, attempt: 1, postponements: 1 });
    // Put off with no delay: still uncounted, still a postponement, and due at once.
    const now = await store().fail({ jobId: input.id, token: (again as ClaimedJob).leaseToken, error: { code: "TASK_ERROR", message: "429" }, retryDelayMs: 0, postpone: true });
    expect(now).toMatchObject({ attempt: 0, postponements: 2 });
    expect(await claim()).toMatchObject([{ id: input.id, attempt: 1, postponements: 2 }]);
  });
}
