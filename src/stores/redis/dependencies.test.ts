// Dependencies on Redis (decision 0018), beyond the store contract: a packed waiting job that
// gains a dependent gets a hash in place, every final transition settles dependents (completions
// carried by a claim, a restarted worker's stalls), large fan-ins go out in slices, and jobs
// nobody depends on carry none of the new fields or keys.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { newJob } from "../../../test/support/jobs.js";
import { ManualClock } from "../../core/clock.js";
import { JOB_BOUNDS } from "../../core/job-rules.js";
import type { ClaimedJob, NewJob } from "../../core/job.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
let server: RedisServer;
let admin: Redis;
let n = 0;

async function fresh(): Promise<{ store: RedisStore; prefix: string; clock: ManualClock }> {
  const clock = new ManualClock(1_700_000_000_000);
  const store = await RedisStore.connect({ url: server.url, namespace: `deps-${n++}`, clock });
  return { store, prefix: store.keys.prefix, clock };
}

const claim = (store: RedisStore, limit = 100, worker = "w", incarnation = "i"): Promise<ClaimedJob[]> =>
  store.claim({ queues: ["default"], worker, incarnation, limit, leaseMs: 30_000 });

describe.skipIf(!available)("redis dependencies", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server?.stop();
  });

  it("gives a packed waiting job a hash in place when a job comes to depend on it", async () => {
    const { store, prefix } = await fresh();
    try {
      const [first, a, last] = [newJob(), newJob(), newJob()];
      await store.enqueue([first]);
      await store.enqueue([a]);
      await store.enqueue([last]);
      expect(await admin.exists(`${prefix}job:${a.id}`)).toBe(0);
      const b = newJob({ dependsOn: [a.id] });
      await store.enqueue([b]);
      // Same place in the list, now by id; the QUEUED index says it has a hash.
      const entries = await admin.lrange(`${prefix}queue:default`, 0, -1);
      expect(entries).toHaveLength(3);
      expect(entries[1]).toBe(a.id);
      expect(await admin.hget(`${prefix}job:${a.id}`, "dn")).toBe("1");
      expect(await store.getJob(a.id)).toMatchObject({ status: "QUEUED", payload: a.payload, dependents: 1 });
      expect((await store.listJobs({ status: "QUEUED" }, 10, null)).jobs.map((j) => j.id).sort()).toEqual([first.id, a.id, last.id].sort());
      // Claims keep the order; completing A releases B behind the others.
      const claimed = await claim(store, 2);
      expect(claimed.map((j) => j.id)).toEqual([first.id, a.id]);
      const settled = claimed[1] as ClaimedJob;
      expect(settled).toMatchObject({ dependents: 1, payload: a.payload });
      await store.complete({ jobId: a.id, token: settled.leaseToken }, null);
      expect((await claim(store)).map((j) => j.id)).toEqual([last.id, b.id]);
    } finally {
      await store.close();
    }
  });

  it("stores a chain enqueued in one call, with hashes only where edges need them", async () => {
    const { store, prefix } = await fresh();
    try {
      const [a, plain] = [newJob(), newJob()];
      const b = newJob({ dependsOn: [a.id, a.id], runAt: 1_700_000_060_000 });
      const results = await store.enqueue([a, plain, b]);
      expect(results.map((r) => r.job.status)).toEqual(["QUEUED", "QUEUED", "DEFERRED"]);
      expect(results[2]?.job).toMatchObject({ dependsOn: [a.id], runAt: 1_700_000_060_000, dependencies: { total: 1, waiting: 1 } });
      expect(await admin.exists(`${prefix}job:${a.id}`)).toBe(1);
      expect(await admin.exists(`${prefix}job:${plain.id}`)).toBe(0);
      expect(await admin.hgetall(`${prefix}dependents:${a.id}`)).toEqual({ [b.id]: "0" });
      const events = await store.jobEvents(b.id);
      expect(events[0]).toMatchObject({ type: "job:deferred", status: "DEFERRED" });
      // Released with its run time still ahead: SCHEDULED, then due.
      const [claimedA] = (await claim(store)).filter((j) => j.id === a.id);
      await store.complete({ jobId: a.id, token: claimedA?.leaseToken ?? "" }, 1);
      expect(await store.getJob(b.id)).toMatchObject({ status: "SCHEDULED", dependencies: { waiting: 0, completed: 1 } });
    } finally {
      await store.close();
    }
  });

  it("settles dependents of completions carried by a claim, and of a restarted worker's stalls past the limit", async () => {
    const { store } = await fresh();
    try {
      const [a, x] = [newJob(), newJob()];
      const b = newJob({ dependsOn: [a.id] });
      const y = newJob({ dependsOn: [x.id], onDependencyFailure: "cancel" });
      await store.enqueue([a, x, b, y]);
      const [first] = await claim(store, 1);
      // The completion waits for the tick; the claim sent in this tick carries it.
      const done = store.complete({ jobId: a.id, token: first?.leaseToken ?? "" }, "a");
      const next = await claim(store, 10);
      await done;
      expect(next.map((j) => j.id)).toEqual([x.id, b.id]);
      expect(await store.getJob(b.id)).toMatchObject({ status: "PROCESSING", dependencies: { completed: 1 } });
      const worker = { name: "w", host: "h", pid: 1, queues: ["default"], tasks: [], concurrency: 1, state: "busy" as const, startedAt: 0, heartbeatAt: 0, currentJobs: [], processed: 0, failed: 0 };
      expect(await store.registerWorker({ ...worker, incarnation: "i2" }, 0)).toBe(0);
      expect(await store.getJob(x.id)).toMatchObject({ status: "FAILED", error: { code: "STALLED" } });
      expect(await store.getJob(y.id)).toMatchObject({ status: "CANCELED", dependencies: { failed: 1, waiting: 0 } });
    } finally {
      await store.close();
    }
  });

  it("fans in and out over a thousand edges in one settlement", async () => {
    const { store } = await fresh();
    try {
      // (1,101 dependents: their counted marks are more values than one variadic command takes.)
      const parts = Array.from({ length: 1200 }, () => newJob());
      const joined = newJob({ dependsOn: parts.map((p) => p.id), onDependencyFailure: "run" });
      const watchers = Array.from({ length: 1100 }, () => newJob({ dependsOn: [parts[0]?.id ?? ""] }));
      await store.enqueue(parts);
      await store.enqueue([joined, ...watchers]);
      expect((await store.getJob(parts[0]?.id ?? ""))?.dependents).toBe(1101);
      const claimed = [...(await claim(store, 1000)), ...(await claim(store, 1000))];
      expect(claimed).toHaveLength(1200);
      const first = claimed[0] as ClaimedJob;
      await store.fail({ jobId: first.id, token: first.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      expect((await store.stats()).find((s) => s.queue === "default")?.counts).toMatchObject({ FAILED: 1101, DEFERRED: 1 });
      await Promise.all(claimed.slice(1).map((j) => store.complete({ jobId: j.id, token: j.leaseToken }, null)));
      expect(await store.getJob(joined.id)).toMatchObject({ status: "QUEUED", dependencies: { total: 1200, waiting: 0, completed: 1199, failed: 1 } });
      expect((await store.dependencyOutcomes(joined.id)).map((o) => o.id)).toEqual(parts.map((p) => p.id));
    } finally {
      await store.close();
    }
  });

  it("fails a running job's dependent at once when a child it adds starts failed", async () => {
    const { store } = await fresh();
    try {
      const [gone, parent] = [newJob(), newJob()];
      const next = newJob({ dependsOn: [parent.id] });
      await store.enqueue([gone, parent, next]);
      await store.cancel(gone.id);
      const [running] = await claim(store);
      const child: NewJob = newJob({ dependsOn: [gone.id] });
      const [added] = await store.addChildren({ jobId: parent.id, token: running?.leaseToken ?? "" }, [child]);
      expect(added).toMatchObject({ id: child.id, status: "FAILED", parentId: parent.id, flowId: parent.id, dependents: 1, error: { code: "DEPENDENCY_FAILED" } });
      expect(await store.getJob(next.id)).toMatchObject({ status: "FAILED", dependsOn: [parent.id, child.id], dependencies: { total: 2, waiting: 1, failed: 1 } });
      expect((await store.getJob(next.id))?.error?.message).toContain(child.id);
      expect(await store.getJob(parent.id)).toMatchObject({ status: "PROCESSING", flowId: parent.id });
      // A child naming a missing job: nothing is added.
      const orphan = newJob({ dependsOn: ["job_missing"] });
      await expect(store.addChildren({ jobId: parent.id, token: running?.leaseToken ?? "" }, [newJob(), orphan])).rejects.toMatchObject({ code: "DEPENDENCY_NOT_FOUND" });
      expect((await store.listJobs({}, 10, null)).jobs).toHaveLength(4);
    } finally {
      await store.close();
    }
  });

  it("retries a canceled flow as a whole: the children run again, then the root", async () => {
    const { store, prefix } = await fresh();
    try {
      const root = newJob();
      const [c1, c2] = [newJob({ parentId: root.id, flowId: root.id }), newJob({ parentId: root.id, flowId: root.id })];
      const outside = newJob({ dependsOn: [c1.id] });
      await store.enqueue([c1, c2, { ...root, flowId: root.id, dependsOn: [c1.id, c2.id] }, outside]);
      expect(await admin.smembers(`${prefix}children:${root.id}`)).toHaveLength(2);
      const running = await claim(store);
      expect(running.map((j) => j.id)).toEqual([c1.id, c2.id]);
      await store.cancel(root.id);
      expect((await store.getJobs([c1.id, c2.id, outside.id])).map((j) => j.status)).toEqual(["CANCELED", "CANCELED", "FAILED"]);
      expect(await store.retry(root.id)).toMatchObject({ status: "DEFERRED", retries: 1, dependencies: { total: 2, waiting: 2, canceled: 0 } });
      const again = await claim(store);
      expect(again.map((j) => [j.id, j.attempt, j.retries])).toEqual([[c1.id, 1, 1], [c2.id, 1, 1]]);
      for (const j of again) await store.complete({ jobId: j.id, token: j.leaseToken }, j.id);
      expect(await store.getJob(root.id)).toMatchObject({ status: "QUEUED", dependencies: { completed: 2 } });
      // The job outside the flow saw its dependency's first outcome: a flow retry does not count it again.
      expect(await store.getJob(outside.id)).toMatchObject({ status: "FAILED", dependencies: { canceled: 1 } });
      // A member that a job outside the flow still needs keeps the flow from being removed.
      const late = newJob({ dependsOn: [c2.id], delayMs: 60_000 });
      await store.enqueue([late]);
      await store.cancel(root.id);
      await expect(store.remove(root.id)).rejects.toMatchObject({ code: "HAS_DEPENDENTS", details: { waitingId: late.id } });
      await store.cancel(late.id);
      await store.remove(root.id);
      expect(await store.getJobs([root.id, c1.id, c2.id, outside.id, late.id])).toHaveLength(2);
      expect(await store.getJob(late.id)).toMatchObject({ status: "CANCELED", dependsOn: [c2.id], dependencies: { completed: 1, waiting: 0 } });
    } finally {
      await store.close();
    }
  });

  it("returns a job failed at enqueue as stored, and keeps purge to the retention rules", async () => {
    const { store, clock } = await fresh();
    try {
      const a = newJob();
      await store.enqueue([a]);
      const [running] = await claim(store);
      await store.fail({ jobId: a.id, token: running?.leaseToken ?? "", error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
      const [failed] = await store.enqueue([newJob({ dependsOn: [a.id] })]);
      expect(failed?.job).toEqual(await store.getJob(failed?.job.id ?? ""));
      const waiting = newJob({ dependsOn: [a.id], onDependencyFailure: "run", delayMs: 60_000 });
      await store.enqueue([waiting]);
      expect(await store.getJob(waiting.id)).toMatchObject({ status: "SCHEDULED" });
      clock.advance(1000);
      // A is needed by a job that has not run: purge keeps it, and takes the other.
      expect(await store.purge({ status: "FAILED", finishedBefore: clock.now(), limit: 10 })).toBe(1);
      expect(await store.getJob(a.id)).not.toBeNull();
      expect(await store.getJob(failed?.job.id ?? "")).toBeNull();
      expect((await store.getJob(a.id))?.dependents).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe("redis dependency bounds", () => {
  it("walk subtrees no further than the job rules' flow size", () => {
    const lua = readFileSync(new URL("./lua/includes/dependencies.lua", import.meta.url), "utf8");
    expect(/^local MAX_FLOW_JOBS = (\d+)$/m.exec(lua)?.[1]).toBe(String(JOB_BOUNDS.maxFlowJobs));
  });
});
