// The store contract for dependencies, flows and batches (decision 0018): DEFERRED jobs, the
// release by the settlement of the last dependency, the failure policies, cancel and retry of
// a subtree, fan-out under a lease, and retention. describeStoreContract runs it for every store.
import { expect } from "vitest";
import type { ManualClock } from "../src/core/clock.js";
import { dependencyError } from "../src/core/dependency-rules.js";
import type { ClaimedJob, Job, NewJob } from "../src/core/job.js";
import type { ClaimRequest, Store } from "../src/core/store.js";
import { newJob } from "./support/jobs.js";

/** What a dependency case gets: the store under test, its clock and a second connection. */
export interface DependencyCaseContext {
  store(): Store;
  clock(): ManualClock;
  /** A second connection to the same data, or null when the store has none. */
  peer(): Promise<Store | null>;
}

type Case = (name: string, fn: () => Promise<void>) => void;

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/** A flow as the client builds one: `children` of `parent`, owned by it, in one flow. */
function flow(parentOverrides: Partial<NewJob>, children: NewJob[]): NewJob[] {
  const parent = newJob(parentOverrides);
  const rootId = parentOverrides.flowId ?? parent.id;
  const owned = children.map((child) => ({ ...child, parentId: child.parentId ?? parent.id, flowId: rootId }));
  return [...owned, { ...parent, flowId: rootId, dependsOn: [...(parent.dependsOn ?? []), ...children.map((c) => c.id)] }];
}

/** Declares the dependency cases with the suite's own `test`, so skip lists and assertion checks apply. */
export function dependencyContractCases(test: Case, ctx: DependencyCaseContext): void {
  const store = (): Store => ctx.store();
  const claim = (overrides: Partial<ClaimRequest> = {}): Promise<ClaimedJob[]> =>
    store().claim({ queues: ["default"], worker: "w1", incarnation: "i1", limit: 100, leaseMs: 30_000, ...overrides });
  const claimId = async (id: string): Promise<ClaimedJob> => {
    const claimed = await claim();
    const job = claimed.find((j) => j.id === id);
    expect(job, `job ${id} among the claimed ${claimed.map((j) => j.id).join(", ")}`).toBeDefined();
    // Hand the others back untouched.
    for (const other of claimed) if (other.id !== id) await store().release({ jobId: other.id, token: other.leaseToken });
    return job as ClaimedJob;
  };
  const complete = async (id: string, result: unknown = { done: id }): Promise<void> => {
    const job = await claimId(id);
    await store().complete({ jobId: job.id, token: job.leaseToken }, result as never);
  };
  const failForGood = async (id: string): Promise<void> => {
    const job = await claimId(id);
    await store().fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: `boom ${id}` }, retryDelayMs: null });
  };
  const status = async (id: string): Promise<string | undefined> => (await store().getJob(id))?.status;
  const job = async (id: string): Promise<Job> => {
    const found = await store().getJob(id);
    expect(found, `job ${id}`).not.toBeNull();
    return found as Job;
  };

  test("stores a job with an unfinished dependency as DEFERRED and queues it when the dependency completes", async () => {
    const a = newJob();
    const b = newJob({ dependsOn: [a.id] });
    const [, stored] = await store().enqueue([a, b]);
    expect(stored?.job).toMatchObject({ status: "DEFERRED", dependsOn: [a.id], onDependencyFailure: "fail" });
    expect(await job(b.id)).toMatchObject({ status: "DEFERRED", dependsOn: [a.id], dependencies: { total: 1, waiting: 1, completed: 0, failed: 0, canceled: 0 } });
    expect((await job(a.id)).dependents).toBe(1);
    // Only A can be claimed.
    const claimed = await claim();
    expect(claimed.map((j) => j.id)).toEqual([a.id]);
    await store().complete({ jobId: a.id, token: (claimed[0] as ClaimedJob).leaseToken }, { rows: 3 });
    expect(await job(b.id)).toMatchObject({ status: "QUEUED", dependencies: { total: 1, waiting: 0, completed: 1, failed: 0, canceled: 0 } });
    expect(await store().dependencyOutcomes(b.id)).toEqual([{ id: a.id, task: "noop", status: "COMPLETED", result: { rows: 3 }, error: null }]);
    expect((await store().listJobs({ status: "DEFERRED" }, 10, null)).jobs).toHaveLength(0);
    expect((await claim()).map((j) => j.id)).toEqual([b.id]);
  });

  test("counts a dependency already COMPLETED as satisfied", async () => {
    const a = newJob();
    await store().enqueue([a]);
    await complete(a.id);
    const b = newJob({ dependsOn: [a.id] });
    const [stored] = await store().enqueue([b]);
    expect(stored?.job.status).toBe("QUEUED");
    expect(await job(b.id)).toMatchObject({ status: "QUEUED", dependencies: { total: 1, waiting: 0, completed: 1 } });
  });

  test("refuses an unknown dependency, or one on a later job of the call, with DEPENDENCY_NOT_FOUND and stores nothing", async () => {
    const x = newJob();
    await rejectsWith(store().enqueue([x, newJob({ dependsOn: ["job_missing"] })]), "DEPENDENCY_NOT_FOUND");
    expect(await store().getJob(x.id)).toBeNull();
    // A job can only name jobs that exist before it: no cycle can be built.
    const later = newJob();
    await rejectsWith(store().enqueue([newJob({ dependsOn: [later.id] }), later]), "DEPENDENCY_NOT_FOUND");
    expect(await store().getJob(later.id)).toBeNull();
    expect((await store().listJobs({}, 10, null)).jobs).toHaveLength(0);
  });

  test("fails a dependent with DEPENDENCY_FAILED naming the dependency, and the failure cascades", async () => {
    const a = newJob();
    const b = newJob({ dependsOn: [a.id] });
    const c = newJob({ dependsOn: [b.id] });
    await store().enqueue([a, b, c]);
    await failForGood(a.id);
    const failed = await job(b.id);
    expect(failed).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" }, dependencies: { failed: 1, waiting: 0 } });
    // Every store words it as the core does (the Redis scripts write it themselves).
    expect(failed.error).toEqual(dependencyError(a.id, "FAILED"));
    expect(failed.completedAt).toBe(ctx.clock().now());
    expect(await job(c.id)).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
    expect((await job(c.id)).error?.message).toContain(b.id);
    expect(await claim()).toHaveLength(0);
  });

  test("cancels a dependent whose policy is cancel, and runs one whose policy is run once every dependency is final", async () => {
    const a1 = newJob();
    const a2 = newJob();
    const canceled = newJob({ dependsOn: [a1.id], onDependencyFailure: "cancel" });
    const anyway = newJob({ dependsOn: [a1.id, a2.id], onDependencyFailure: "run" });
    await store().enqueue([a1, a2, canceled, anyway]);
    await failForGood(a1.id);
    expect(await status(canceled.id)).toBe("CANCELED");
    expect(await job(anyway.id)).toMatchObject({ status: "DEFERRED", dependencies: { total: 2, waiting: 1, failed: 1, completed: 0 } });
    await complete(a2.id);
    expect(await job(anyway.id)).toMatchObject({ status: "QUEUED", dependencies: { waiting: 0, failed: 1, completed: 1 } });
    const outcomes = await store().dependencyOutcomes(anyway.id);
    expect(outcomes.map((o) => [o.id, o.status])).toEqual([[a1.id, "FAILED"], [a2.id, "COMPLETED"]]);
    expect(outcomes[0]?.error).toMatchObject({ code: "TASK_ERROR" });
  });

  test("applies the policy at enqueue when a dependency has already failed or been canceled", async () => {
    const a = newJob();
    const gone = newJob();
    await store().enqueue([a, gone]);
    await failForGood(a.id);
    await store().cancel(gone.id);
    const [failed, canceled, anyway] = await store().enqueue([
      newJob({ dependsOn: [a.id] }),
      newJob({ dependsOn: [gone.id], onDependencyFailure: "cancel" }),
      newJob({ dependsOn: [a.id, gone.id], onDependencyFailure: "run" }),
    ]);
    expect(failed?.job).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
    expect(await job(failed?.job.id ?? "")).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
    expect(await status(canceled?.job.id ?? "")).toBe("CANCELED");
    expect(await job(anyway?.job.id ?? "")).toMatchObject({ status: "QUEUED", dependencies: { failed: 1, canceled: 1, waiting: 0 } });
  });

  test("treats a canceled dependency as failed", async () => {
    const a = newJob();
    const b = newJob({ dependsOn: [a.id] });
    await store().enqueue([a, b]);
    await store().cancel(a.id);
    expect(await job(b.id)).toMatchObject({ status: "FAILED", error: dependencyError(a.id, "CANCELED"), dependencies: { canceled: 1 } });
  });

  test("never releases a dependent on a stale lease or a requeued stall, and fails it when the stalls run out", async () => {
    const a = newJob({ timeoutMs: 1000 });
    const b = newJob({ dependsOn: [a.id] });
    await store().enqueue([a, b]);
    const first = await claimId(a.id);
    ctx.clock().advance(31_000);
    expect(await store().recoverExpired(10, 5)).toEqual({ requeued: 1, failed: 0 });
    expect(await status(b.id)).toBe("DEFERRED");
    await rejectsWith(store().complete({ jobId: a.id, token: first.leaseToken }, null), "LEASE_LOST");
    await rejectsWith(store().fail({ jobId: a.id, token: first.leaseToken, error: { code: "TASK_ERROR", message: "late" }, retryDelayMs: null }), "LEASE_LOST");
    expect(await status(b.id)).toBe("DEFERRED");
    // Past the stall limit the dependency is final: the dependent follows its policy.
    await claimId(a.id);
    ctx.clock().advance(31_000);
    expect(await store().recoverExpired(10, 1)).toEqual({ requeued: 0, failed: 1 });
    expect(await job(b.id)).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
  });

  test("queues a dependent exactly once when its dependencies finish together", async () => {
    const parts = Array.from({ length: 12 }, () => newJob());
    const joined = newJob({ dependsOn: parts.map((p) => p.id) });
    await store().enqueue([...parts, joined]);
    const claimed = await claim({ limit: 12 });
    expect(claimed).toHaveLength(12);
    const peer = (await ctx.peer()) ?? store();
    await Promise.all(claimed.map((j, i) => (i % 2 === 0 ? store() : peer).complete({ jobId: j.id, token: j.leaseToken }, i)));
    expect(await job(joined.id)).toMatchObject({ status: "QUEUED", dependencies: { total: 12, waiting: 0, completed: 12 } });
    const next = await claim();
    expect(next.map((j) => j.id)).toEqual([joined.id]);
    expect((await store().dependencyOutcomes(joined.id)).map((o) => o.result)).toEqual(parts.map((_, i) => i));
    const queued = (await store().stats()).find((s) => s.queue === "default");
    expect(queued?.counts).toMatchObject({ DEFERRED: 0, QUEUED: 0, PROCESSING: 1, COMPLETED: 12 });
  });

  test("counts a dependency once: a retried dependency that finishes again changes nothing", async () => {
    const a1 = newJob();
    const a2 = newJob();
    const anyway = newJob({ dependsOn: [a1.id, a2.id], onDependencyFailure: "run" });
    await store().enqueue([a1, a2, anyway]);
    await failForGood(a1.id);
    await store().retry(a1.id);
    await complete(a1.id);
    expect(await job(anyway.id)).toMatchObject({ status: "DEFERRED", dependencies: { waiting: 1, failed: 1 } });
    await complete(a2.id);
    expect(await status(anyway.id)).toBe("QUEUED");
  });

  test("shows DEFERRED jobs in listings and stats", async () => {
    const a = newJob();
    const b = newJob({ dependsOn: [a.id], queue: "reports" });
    await store().enqueue([a, b]);
    expect((await store().listJobs({ status: "DEFERRED" }, 10, null)).jobs.map((j) => j.id)).toEqual([b.id]);
    expect((await store().listJobs({ status: "DEFERRED", queue: "reports" }, 10, null)).jobs.map((j) => j.id)).toEqual([b.id]);
    const reports = (await store().stats()).find((s) => s.queue === "reports");
    expect(reports?.counts.DEFERRED).toBe(1);
    expect(reports?.counts.QUEUED).toBe(0);
    expect(reports?.oldestWaitingMs).toBeNull();
  });

  test("cancels every unfinished job a parent owns, running ones included, in one call", async () => {
    const grandchild = newJob();
    const [child1, child2] = [newJob({ dependsOn: [grandchild.id] }), newJob()];
    const jobs = flow({}, [child1, child2]);
    const root = jobs[jobs.length - 1] as NewJob;
    const owned = [{ ...grandchild, parentId: child1.id, flowId: root.id }, ...jobs];
    await store().enqueue(owned);
    expect(await job(grandchild.id)).toMatchObject({ parentId: child1.id, flowId: root.id });
    const running = await claimId(child2.id);
    const canceled = await store().cancel(root.id);
    expect(canceled.status).toBe("CANCELED");
    for (const id of [grandchild.id, child1.id, child2.id]) expect(await status(id)).toBe("CANCELED");
    await rejectsWith(store().complete({ jobId: running.id, token: running.leaseToken }, null), "LEASE_LOST");
    expect(await claim()).toHaveLength(0);
  });

  test("retries a failed flow: only what failed runs again, then what depends on it", async () => {
    const [ok, bad] = [newJob(), newJob()];
    const jobs = flow({}, [ok, bad]);
    const root = jobs[2] as NewJob;
    await store().enqueue(jobs);
    await complete(ok.id, "fine");
    await failForGood(bad.id);
    expect(await job(root.id)).toMatchObject({ status: "FAILED", error: { code: "DEPENDENCY_FAILED" } });
    const retried = await store().retry(root.id);
    expect(retried.status).toBe("DEFERRED");
    expect(await job(ok.id)).toMatchObject({ status: "COMPLETED", result: "fine", retries: 0 });
    expect(await job(bad.id)).toMatchObject({ status: "QUEUED", attempt: 0, retries: 1 });
    expect(await job(root.id)).toMatchObject({ status: "DEFERRED", error: null, dependencies: { total: 2, waiting: 1, completed: 1, failed: 0 } });
    await complete(bad.id, "fixed");
    expect(await status(root.id)).toBe("QUEUED");
    expect((await store().dependencyOutcomes(root.id)).map((o) => o.result)).toEqual(["fine", "fixed"]);
  });

  test("retries every failed job at once without running a flow's parent before its children", async () => {
    const [ok, bad] = [newJob(), newJob()];
    const jobs = flow({}, [ok, bad]);
    const root = jobs[2] as NewJob;
    await store().enqueue(jobs);
    await complete(ok.id);
    await failForGood(bad.id);
    expect(await store().retryAllFailed(null, 100)).toBe(2);
    expect(await status(bad.id)).toBe("QUEUED");
    expect(await job(root.id)).toMatchObject({ status: "DEFERRED", dependencies: { waiting: 1, completed: 1, failed: 0 } });
    expect((await claim()).map((j) => j.id)).toEqual([bad.id]);
  });

  test("adds children under the lease: the running job's dependents wait for them too", async () => {
    const parent = newJob();
    const next = newJob({ dependsOn: [parent.id] });
    await store().enqueue([parent, next]);
    const running = await claimId(parent.id);
    const lease = { jobId: running.id, token: running.leaseToken };
    const [c1, c2] = [newJob({ queue: "fan" }), newJob({ queue: "fan" })];
    const added = await store().addChildren(lease, [c1, c2]);
    expect(added.map((j) => [j.id, j.status, j.parentId, j.flowId])).toEqual([
      [c1.id, "QUEUED", parent.id, parent.id],
      [c2.id, "QUEUED", parent.id, parent.id],
    ]);
    await store().complete(lease, "parent done");
    expect(await job(next.id)).toMatchObject({ status: "DEFERRED", dependsOn: [parent.id, c1.id, c2.id], dependencies: { total: 3, waiting: 2, completed: 1 } });
    for (const c of await claim({ queues: ["fan"] })) await store().complete({ jobId: c.id, token: c.leaseToken }, c.id);
    expect(await status(next.id)).toBe("QUEUED");
    // Under a lease that is gone, nothing is added.
    const late = newJob();
    await rejectsWith(store().addChildren(lease, [late]), "LEASE_LOST");
    expect(await store().getJob(late.id)).toBeNull();
  });

  test("keeps a finished dependency while a dependent needs it, and prunes a finished flow as a whole", async () => {
    const a = newJob({ resultTtlSeconds: 1 });
    const b = newJob({ dependsOn: [a.id], onDependencyFailure: "run" });
    const gate = newJob();
    await store().enqueue([a, gate, { ...b, dependsOn: [a.id, gate.id] }]);
    await complete(a.id);
    ctx.clock().advance(5_000);
    await store().prune(100);
    expect(await status(a.id)).toBe("COMPLETED");
    await complete(gate.id);
    await complete(b.id);
    ctx.clock().advance(3_600_000 + 5_000);
    await store().prune(100);
    expect(await store().getJob(a.id)).toBeNull();

    const [c1, c2] = [newJob({ resultTtlSeconds: 1 }), newJob({ resultTtlSeconds: 1 })];
    const jobs = flow({ resultTtlSeconds: 60 }, [c1, c2]);
    const root = jobs[2] as NewJob;
    await store().enqueue(jobs);
    await complete(c1.id);
    await complete(c2.id);
    await complete(root.id);
    ctx.clock().advance(10_000);
    await store().prune(100);
    expect(await status(c1.id)).toBe("COMPLETED");
    ctx.clock().advance(60_000);
    await store().prune(100);
    for (const id of [c1.id, c2.id, root.id]) expect(await store().getJob(id)).toBeNull();
  });

  test("refuses to remove a job an unfinished job needs, and removes a finished flow with its members", async () => {
    const a = newJob();
    const b = newJob({ dependsOn: [a.id] });
    await store().enqueue([a, b]);
    await complete(a.id);
    await store().claim({ queues: ["nothing"], worker: "w1", incarnation: "i1", limit: 1, leaseMs: 1000 });
    await rejectsWith(store().remove(a.id), "HAS_DEPENDENTS");
    expect(await status(a.id)).toBe("COMPLETED");

    const [c1, c2] = [newJob(), newJob()];
    const jobs = flow({}, [c1, c2]);
    const root = jobs[2] as NewJob;
    await store().enqueue(jobs);
    await complete(c1.id);
    await rejectsWith(store().remove(root.id), "HAS_DEPENDENTS");
    expect(await status(c1.id)).toBe("COMPLETED");
    await store().cancel(root.id);
    await store().remove(root.id);
    for (const id of [c1.id, c2.id, root.id]) expect(await store().getJob(id)).toBeNull();
  });

  test("reads jobs by id in the order asked, leaving out missing ones", async () => {
    const [a, b] = [newJob(), newJob()];
    await store().enqueue([a, b]);
    expect((await store().getJobs([b.id, "job_missing", a.id])).map((j) => j.id)).toEqual([b.id, a.id]);
    expect(await store().getJobs([])).toEqual([]);
    await rejectsWith(store().dependencyOutcomes("job_missing"), "JOB_NOT_FOUND");
    expect(await store().dependencyOutcomes(a.id)).toEqual([]);
  });
}
