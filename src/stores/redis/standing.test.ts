// Standing claims on Redis (decision 0009): a worker whose claim found nothing stands, and the
// next single enqueue on its queues starts the job for it and sends it on the worker's channel.
// These checks drive the store as a worker does and read the key layout directly.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { Redis } from "ioredis";
import { RedisProxy } from "../../../test/support/redis-proxy.js";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { newJob } from "../../../test/support/jobs.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { Client } from "../../core/client.js";
import { ManualClock } from "../../core/clock.js";
import type { ClaimRequest } from "../../core/store.js";
import { defineTask } from "../../core/task.js";
import { Worker } from "../../core/worker.js";
import { RedisStore } from "./redis-store.js";
import { STAND_MS } from "./stand-hand-offs.js";

const available = redisServerAvailable();
let server: RedisServer;
let admin: Redis;
let n = 0;

type StandRequest = ClaimRequest & { stand?: boolean };

const request = (incarnation: string, overrides: Partial<StandRequest> = {}): StandRequest => ({
  queues: ["default"], worker: `worker-${incarnation}`, incarnation, limit: 1, leaseMs: 60_000, stand: true, ...overrides,
});

/** A claim as a waiting worker sends it (standing), or as a burst worker does (`stand: false`). */
const claim = (store: RedisStore, { stand, ...plain }: StandRequest) => (stand === true ? store.standingClaims.claim(plain) : store.claim(plain));

/**
 * A store on a namespace of its own whose `default` queue has had a job (so single enqueues take
 * the short path), and a worker incarnation of it standing on `default`.
 */
async function standing(options: { clock?: ManualClock; queues?: string[]; url?: string; leaseMs?: number } = {}): Promise<{ store: RedisStore; prefix: string; inc: string }> {
  const store = await RedisStore.connect({ url: options.url ?? server.url, namespace: `standing-${n++}`, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  const queues = options.queues ?? ["default"];
  for (const queue of queues) await store.enqueue([newJob({ queue })]);
  const inc = `inc-${n}`;
  expect(await claim(store, request(inc, { queues, limit: 10 }))).toHaveLength(queues.length);
  // The first empty claim starts listening to the worker's channel; once it listens, an empty claim stands.
  const leaseMs = options.leaseMs ?? 60_000;
  await waitFor(async () => (await claim(store, request(inc, { queues, leaseMs }))).length === 0 && (await admin.hexists(`${store.keys.prefix}stand`, inc)) === 1);
  return { store, prefix: store.keys.prefix, inc };
}

/** A proxy to the server for one test, whose subscriber traffic the test can drop. */
async function lossyLink(): Promise<RedisProxy> {
  const proxy = await RedisProxy.start(server.url);
  onTestFinished(() => proxy.close());
  return proxy;
}

/** Evaluations of scripts so far, from the server's own counters. */
async function scriptCalls(): Promise<number> {
  const info = await admin.info("commandstats");
  return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe.skipIf(!available)("standing claims (Redis)", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("starts the next enqueued job for a standing worker, which collects it without a round trip and completes it", async () => {
    const { store, prefix, inc } = await standing();
    const woke = store.standingClaims.waitForWork(["default"], 5000, new AbortController().signal, inc);
    const job = newJob({ payload: { n: 1 } });
    await store.enqueue([job]);
    // Started at the enqueue: the job never waited in the queue (with the job claimed before it, two run).
    expect(await store.getJob(job.id)).toMatchObject({ status: "PROCESSING", worker: `worker-${inc}`, attempt: 1 });
    expect(await admin.llen(`${prefix}queue:default`)).toBe(0);
    expect((await store.stats()).find((q) => q.queue === "default")?.counts).toMatchObject({ QUEUED: 0, PROCESSING: 2 });
    const started = Date.now();
    await woke;
    expect(Date.now() - started).toBeLessThan(2000);
    const calls = await scriptCalls();
    const [claimed] = await claim(store, request(inc));
    expect(await scriptCalls()).toBe(calls);
    expect(claimed).toMatchObject({ id: job.id, payload: { n: 1 }, attempt: 1, status: "PROCESSING", worker: `worker-${inc}` });
    // The lease is fenced like a claim's: a wrong token is refused, the right one completes.
    await expect(store.complete({ jobId: job.id, token: "stale" }, 1)).rejects.toMatchObject({ code: "LEASE_LOST" });
    await store.complete({ jobId: job.id, token: claimed?.leaseToken ?? "" }, 42);
    expect(await store.getJob(job.id)).toMatchObject({ status: "COMPLETED", result: 42 });
    // The next claim withdraws the consumed standing claim and does not deliver the job again.
    expect(await claim(store, request(inc))).toEqual([]);
    await store.close();
  });

  it("consumes a hand-off's wake-up however the job is collected, so the next wait waits", async () => {
    const { store, inc } = await standing();
    const job = newJob();
    await store.enqueue([job]);
    // The claim is sent before the hand-off's message is read: the job reaches the worker
    // through this claim, whichever comes first.
    const claimed = await claim(store, request(inc));
    expect(claimed.map((j) => j.id)).toEqual([job.id]);
    const started = Date.now();
    await store.standingClaims.waitForWork(["default"], 300, new AbortController().signal, inc);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await store.close();
  });

  it("stands again at once in the next claim of a worker that got its hand-off by message and has slots left", async () => {
    const { store, prefix, inc } = await standing();
    const job = newJob();
    await store.enqueue([job]);
    await store.standingClaims.waitForWork(["default"], 5000, new AbortController().signal, inc);
    expect((await claim(store, request(inc, { limit: 4 }))).map((j) => j.id)).toEqual([job.id]);
    // The handed job runs; the worker claims for its other slots: nothing waits, so it stands.
    expect(await claim(store, request(inc, { limit: 3 }))).toEqual([]);
    expect((await admin.hget(`${prefix}stand`, inc))?.startsWith("!")).toBe(false);
    const next = newJob();
    await store.enqueue([next]);
    expect((await store.getJob(next.id))?.status).toBe("PROCESSING");
    await store.close();
  });

  it("delivers a hand-off whose message was lost with the worker's next claim, and only once", async () => {
    const proxy = await lossyLink();
    const { store, inc } = await standing({ url: proxy.url });
    // Drop the worker's messages, as a subscription whose link died unnoticed would.
    proxy.dropSubscriberTraffic();
    const job = newJob();
    await store.enqueue([job]);
    const [claimed] = await claim(store, request(inc));
    expect(claimed).toMatchObject({ id: job.id, status: "PROCESSING" });
    await store.complete({ jobId: job.id, token: claimed?.leaseToken ?? "" }, null);
    expect(await claim(store, request(inc))).toEqual([]);
    await store.close();
  });

  it("never gives a worker a hand-off whose message came after its lease could have expired: the job is claimed afresh", async () => {
    const proxy = await lossyLink();
    const { store, inc } = await standing({ url: proxy.url, leaseMs: 300 });
    // A partition holds the hand-off's message back past the job's 300 ms lease.
    proxy.holdSubscriberTraffic();
    const job = newJob();
    await store.enqueue([job]);
    expect(await store.getJob(job.id)).toMatchObject({ status: "PROCESSING", worker: `worker-${inc}` });
    const handedBy = await store.now();
    await waitFor(async () => (await store.now()) >= handedBy + 300, { what: "the hand-off's lease to run out" });
    const woke = store.standingClaims.waitForWork(["default"], 5000, new AbortController().signal, inc);
    proxy.releaseSubscriberTraffic();
    await woke;
    const claimed = await claim(store, request(inc, { leaseMs: 300 }));
    // Whatever the claim returns holds a lease granted after the old one ran out, never the stale hand-off.
    for (const fresh of claimed) expect(fresh.leaseExpiresAt).toBeGreaterThanOrEqual(handedBy + 600);
    const again = claimed.find((j) => j.id === job.id) ?? (await waitFor(async () => (await claim(store, request(inc, { leaseMs: 300, limit: 1 })))[0]));
    expect(again).toMatchObject({ id: job.id, attempt: 1 });
    await store.complete({ jobId: job.id, token: again.leaseToken }, null);
    expect(await store.getJob(job.id)).toMatchObject({ status: "COMPLETED", attempt: 1 });
    await store.close();
  });

  it("does not stand again in a claim whose only slot goes to a job it hands back, which takes one of its slots", async () => {
    const proxy = await lossyLink();
    const { store, prefix, inc } = await standing({ url: proxy.url });
    proxy.dropSubscriberTraffic();
    const job = newJob();
    await store.enqueue([job]);
    // Its only slot goes to the job handed back: it must not stand for another one.
    expect((await claim(store, request(inc))).map((j) => j.id)).toEqual([job.id]);
    expect(await admin.hget(`${prefix}stand`, inc)).toBeNull();
    const next = newJob();
    await store.enqueue([next]);
    expect((await store.getJob(next.id))?.status).toBe("QUEUED");
    // A job handed back takes one of the claim's slots: with two, one waiting job comes with it
    // and the other keeps waiting.
    expect(await claim(store, request(inc))).toHaveLength(1);
    await waitFor(async () => (await claim(store, request(inc))).length === 0 && (await admin.hexists(`${prefix}stand`, inc)) === 1);
    const third = newJob();
    await store.enqueue([third]);
    expect((await store.getJob(third.id))?.status).toBe("PROCESSING");
    const waiting = [newJob(), newJob()];
    await store.enqueue(waiting);
    const claimed = await claim(store, request(inc, { limit: 2 }));
    expect(claimed.map((j) => j.id).sort()).toEqual([waiting[0]?.id, third.id].sort());
    expect((await store.getJob(waiting[1]?.id ?? ""))?.status).toBe("QUEUED");
    await store.close();
  });

  it("withdraws with a claim of no job, when a worker of the same name registers, and when the standing claim lapses", async () => {
    // A claim of no job (a worker that stops): a job handed meanwhile goes back to its queue.
    {
      const { store, prefix, inc } = await standing();
      const job = newJob();
      await store.enqueue([job]);
      await store.standingClaims.waitForWork(["default"], 5000, new AbortController().signal, inc);
      expect(await claim(store, request(inc, { limit: 0, stand: false }))).toEqual([]);
      expect(await store.getJob(job.id)).toMatchObject({ status: "QUEUED", attempt: 0 });
      expect(await admin.hexists(`${prefix}stand`, inc)).toBe(0);
      expect(await admin.hlen(`${prefix}standq:default`)).toBe(0);
      expect(await admin.hexists(`${prefix}qnum`, "~default")).toBe(0);
      await store.close();
    }
    // A new incarnation of the worker's name: nothing more is handed to the old one.
    {
      const { store, prefix, inc } = await standing();
      const now = Date.now();
      await store.registerWorker({ name: `worker-${inc}`, incarnation: "next", host: "h", pid: 1, queues: ["default"], tasks: [], concurrency: 1, state: "idle", startedAt: now, heartbeatAt: now, currentJobs: [], processed: 0, failed: 0 }, 3);
      expect(await admin.hexists(`${prefix}stand`, inc)).toBe(0);
      const job = newJob();
      await store.enqueue([job]);
      expect((await store.getJob(job.id))?.status).toBe("QUEUED");
      await store.close();
    }
    // Maintenance drops a standing claim that lapsed (its worker is gone) with its queue entries.
    {
      const clock = new ManualClock(Date.now());
      const { store, prefix, inc } = await standing({ clock });
      clock.advance(STAND_MS + 1);
      await store.prune(100);
      expect(await admin.hexists(`${prefix}stand`, inc)).toBe(0);
      expect(await admin.hlen(`${prefix}standq:default`)).toBe(0);
      expect(await admin.hexists(`${prefix}qnum`, "~default")).toBe(0);
      await store.close();
    }
  });

  it("hands a job to exactly one of two standing workers, and the next job to the other", async () => {
    const { store, inc } = await standing();
    const other = `${inc}-b`;
    await waitFor(async () => (await claim(store, request(other))).length === 0 && (await admin.hexists(`${store.keys.prefix}stand`, other)) === 1);
    const first = newJob();
    const second = newJob();
    await store.enqueue([first]);
    await store.enqueue([second]);
    const got = [...(await claim(store, request(inc))), ...(await claim(store, request(other)))].map((job) => job.id);
    expect(got.sort()).toEqual([first.id, second.id].sort());
    await store.close();
  });

  it("queues the job instead when the queue or one served before it holds jobs, a scheduled job is due, the queue is paused or watched, or the standing claim lapsed", async () => {
    const clock = new ManualClock(Date.now());
    const cases: { name: string; before: (store: RedisStore) => Promise<unknown>; after?: (store: RedisStore) => Promise<unknown> }[] = [
      // With nothing in the way the job is handed off (the checks below would pass vacuously otherwise).
      { name: "nothing in the way", before: async () => undefined },
      // Two jobs take the batch path, which never hands off: the job after them must not overtake them.
      { name: "holds jobs", before: (store) => store.enqueue([newJob(), newJob()]) },
      // The worker serves `high` first (see below): a job waiting there is claimed first.
      { name: "a queue served first holds jobs", before: (store) => store.enqueue([newJob({ queue: "high" }), newJob({ queue: "high" })]) },
      // A claim promotes due jobs before it takes any.
      { name: "a scheduled job is due", before: async (store) => (await store.enqueue([newJob({ queue: "high", delayMs: 1000 })]), clock.advance(1500)) },
      { name: "paused", before: (store) => store.pauseQueue("default"), after: (store) => store.resumeQueue("default") },
      { name: "watched", before: (store) => store.watch(() => undefined) },
      { name: "lapsed", before: async () => clock.advance(STAND_MS + 1000) },
    ];
    for (const c of cases) {
      const { store, prefix } = await standing({ clock, queues: ["high", "default"] });
      await c.before(store);
      const job = newJob();
      await store.enqueue([job]);
      const handed = c.name === "nothing in the way";
      expect((await store.getJob(job.id))?.status, c.name).toBe(handed ? "PROCESSING" : "QUEUED");
      expect(await admin.llen(`${prefix}queue:default`), c.name).toBe(handed ? 0 : c.name === "holds jobs" ? 3 : 1);
      await c.after?.(store);
      await store.close();
    }
  });

  it("keeps standing through renewals, and stands on a queue resumed since it first stood", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: `standing-${n++}` });
    const queues = ["high", "default"];
    const inc = `inc-${n}`;
    const renew = async (times: number): Promise<void> => {
      for (let i = 0; i < times; i++) expect(await claim(store, request(inc, { queues }))).toEqual([]);
    };
    for (const queue of queues) await store.enqueue([newJob({ queue })]);
    expect(await claim(store, request(inc, { queues, limit: 10 }))).toHaveLength(2);
    // It first stands while `high` is paused: on `default` only.
    await store.pauseQueue("high");
    await waitFor(async () => (await claim(store, request(inc, { queues }))).length === 0 && (await admin.hexists(`${store.keys.prefix}stand`, inc)) === 1);
    await renew(1);
    await store.resumeQueue("high");
    // The renewal after the resume stands on `high` too.
    await renew(1);
    const high = newJob({ queue: "high" });
    await store.enqueue([high]);
    expect((await store.getJob(high.id))?.status).toBe("PROCESSING");
    expect((await claim(store, request(inc, { queues }))).map((job) => job.id)).toEqual([high.id]);
    // Stands again, then renews twice (rewriting only `stand`): its queue entries still serve.
    await renew(3);
    const low = newJob();
    await store.enqueue([low]);
    expect((await store.getJob(low.id))?.status).toBe("PROCESSING");
    await store.close();
  });

  it("puts a job handed to a worker that stops before collecting it back at the head of its queue", async () => {
    const { store, prefix, inc } = await standing();
    const job = newJob();
    await store.enqueue([job]);
    await store.unregisterWorker(`worker-${inc}`, inc);
    expect(await store.getJob(job.id)).toMatchObject({ status: "QUEUED", attempt: 0 });
    expect(await admin.hexists(`${prefix}stand`, inc)).toBe(0);
    const [next] = await claim(store, request("another", { stand: false }));
    expect(next).toMatchObject({ id: job.id, attempt: 1 });
    await store.close();
  });

  it("keeps an idle worker's quiet claims skipped while it may not stand (someone watches events)", async () => {
    const { store, prefix, inc } = await standing();
    await store.watch(() => undefined);
    // The next claim may not stand: it withdraws the standing claim and leaves none.
    expect(await claim(store, request(inc))).toEqual([]);
    expect(await admin.hexists(`${prefix}stand`, inc)).toBe(0);
    // A wait that times out with nothing announced, then a claim: skipped, no script runs.
    await store.standingClaims.waitForWork(["default"], 50, new AbortController().signal, inc);
    const calls = await scriptCalls();
    expect(await claim(store, request(inc))).toEqual([]);
    expect(await scriptCalls()).toBe(calls);
    await store.close();
  });

  it("has a stopping Worker withdraw its standing claim at once, not after its grace period", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: `standing-${n++}` });
    const client = new Client({ store });
    let release = (): void => undefined;
    const slow = defineTask("slow", () => new Promise<void>((resolve) => (release = resolve)));
    const first = await client.enqueue(slow, {});
    const worker = new Worker({ store, tasks: [slow], name: "stopping", concurrency: 2, maintenance: false });
    await worker.start();
    await waitFor(async () => (await store.getJob(first.id))?.status === "PROCESSING");
    // One slot runs the slow job; the other stands.
    await waitFor(async () => Object.values(await admin.hgetall(`${store.keys.prefix}stand`)).some((value) => !value.startsWith("!")), { what: "the worker to stand" });
    const stopped = worker.stop({ gracePeriodMs: 30_000 });
    await waitFor(async () => (await admin.hlen(`${store.keys.prefix}stand`)) === 0, { timeoutMs: 3000, what: "the standing claim withdrawn" });
    const next = await client.enqueue(slow, {});
    expect((await store.getJob(next.id))?.status).toBe("QUEUED");
    release();
    await stopped;
    await store.close();
  });

  it("does not stand for a burst worker (stand: false) and drops standing claims that lapsed", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: `standing-${n++}` });
    await store.enqueue([newJob()]);
    await claim(store, request("burst", { stand: false }));
    for (let i = 0; i < 3; i++) expect(await claim(store, request("burst", { stand: false }))).toEqual([]);
    expect(await admin.hexists(`${store.keys.prefix}stand`, "burst")).toBe(0);
    const job = newJob();
    await store.enqueue([job]);
    expect((await store.getJob(job.id))?.status).toBe("QUEUED");
    await store.close();
  });
});
