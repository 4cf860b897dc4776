// Runs the store contract suite against a private redis-server, plus Redis-specific checks:
// refusal of an evicting server, health warnings, fail-fast when Redis is down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { describeStoreContract } from "../../../test/store-contract.js";
import { newJob } from "../../../test/support/jobs.js";
import { fireRequest, newSchedule } from "../../../test/support/schedules.js";
import { Redis } from "ioredis";
import type { JobEvent } from "../../core/events.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { REDIS_ACL_RULES } from "./acl.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
let server: RedisServer;
let n = 0;

describe.skipIf(!available)("redis store", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  describeStoreContract({
    name: "redis",
    create: async (clock) => RedisStore.connect({ url: server.url, namespace: `contract-${process.pid}-${n++}`, clock }),
    connectPeer: async (store, clock) => RedisStore.connect({ url: server.url, namespace: (store as RedisStore).keys.namespace, clock }),
  });

  it("refuses a server whose eviction policy could drop jobs", async () => {
    const evicting = await RedisServer.start({ args: ["--maxmemory-policy", "allkeys-lru"] });
    try {
      await expect(RedisStore.connect({ url: evicting.url })).rejects.toMatchObject({ code: "STORE_MISCONFIGURED" });
    } finally {
      await evicting.stop();
    }
  });

  it("warns in health when persistence is off", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "health" });
    const health = await store.health();
    expect(health.ok).toBe(true);
    expect(health.warnings.join(" ")).toMatch(/persistence is off/);
    await store.close();
  });

  it("fails fast with STORE_UNAVAILABLE while Redis is down, and works again after a restart", async () => {
    const own = await RedisServer.start({ appendfsync: "always" });
    const store = await RedisStore.connect({ url: own.url, namespace: "down" });
    try {
      await own.kill();
      const started = Date.now();
      await expect(store.enqueue([newJob()])).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      expect(Date.now() - started).toBeLessThan(1000);
      await own.restart();
      const job = newJob();
      await waitFor(async () => (await store.enqueue([job]))[0]?.created, { what: "enqueue after restart" });
      expect((await store.getJob(job.id))?.status).toBe("QUEUED");
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it("delivers events written by another process, and resumes after a given sequence", async () => {
    const a = await RedisStore.connect({ url: server.url, namespace: "watch" });
    const b = await RedisStore.connect({ url: server.url, namespace: "watch" });
    const seen: JobEvent[] = [];
    const unwatch = await a.watch((event) => seen.push(event));
    await b.enqueue([newJob()]);
    await waitFor(() => seen.length === 1, { what: "the first event" });
    await unwatch();
    const missed = newJob();
    await b.enqueue([missed]);
    const resumed: JobEvent[] = [];
    const stop = await a.watch((event) => resumed.push(event), { afterSeq: seen[0]?.seq ?? "" });
    await waitFor(() => resumed.length === 1, { what: "the missed event" });
    expect(resumed[0]).toMatchObject({ type: "job:enqueued", jobId: missed.id });
    await stop();
    await a.close();
    await b.close();
  });

  it("stores a batch larger than one variadic command takes (sent in slices), in order", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "big-batch" });
    const admin = new Redis(server.url);
    try {
      const jobs = Array.from({ length: 4500 }, (_, i) => newJob({ payload: { i }, ...(i % 1000 === 0 ? { idempotencyKey: `k${i}` } : {}) }));
      const results = await store.enqueue(jobs);
      expect(results.every((r) => r.created && r.job.status === "QUEUED")).toBe(true);
      expect(await admin.llen("caudex:{big-batch}:queue:default")).toBe(4500);
      // The five jobs with an idempotency key have a hash; the others wait packed in the list.
      expect(await admin.keys("caudex:{big-batch}:job:*")).toHaveLength(5);
      expect((await store.stats())[0]?.counts.QUEUED).toBe(4500);
      const claimed = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 3, leaseMs: 30_000 });
      expect(claimed.map((j) => j.payload)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
      // One claim of more jobs than Lua's unpack takes at once (its lease entries go in slices).
      const many = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 4400, leaseMs: 30_000 });
      expect(many).toHaveLength(4400);
      // (Plus the anchor member that keeps `leases` in its skiplist encoding.)
      expect(await admin.zcount("caudex:{big-batch}:leases", "-inf", "(+inf")).toBe(4403);
      expect(await admin.object("ENCODING", "caudex:{big-batch}:leases")).toBe("skiplist");
      // A second batch repeating one id is refused whole.
      await expect(store.enqueue([newJob(), newJob({ id: jobs[4499]?.id ?? "" })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      expect(await admin.llen("caudex:{big-batch}:queue:default")).toBe(97);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("stores a batch of more script arguments than a JavaScript call takes", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "huge-batch" });
    try {
      // Five arguments a plain job: 250,000 in all. (A client's enqueueMany takes at most
      // 10,000 jobs; the store itself takes any number.)
      const size = 50_000;
      const results = await store.enqueue(Array.from({ length: size }, (_, i) => newJob({ payload: { i } })));
      expect(results.filter((r) => r.created)).toHaveLength(size);
      expect((await store.stats())[0]?.counts.QUEUED).toBe(size);
    } finally {
      await store.close();
    }
  });

  it("looks up an id that starts with NUL without adding to the QUEUED index or hiding waiting jobs", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "nul-lookup" });
    const admin = new Redis(server.url);
    try {
      const jobs = [newJob(), newJob(), newJob()];
      await store.enqueue(jobs);
      const buckets = await admin.zcard("caudex:{nul-lookup}:qdir");
      for (const id of ["\0", "\0\0", "\0x"]) {
        expect(await store.getJob(id)).toBeNull();
        await expect(store.cancel(id)).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
      }
      expect(await admin.zcard("caudex:{nul-lookup}:qdir")).toBe(buckets);
      for (const job of jobs) expect((await store.getJob(job.id))?.status).toBe("QUEUED");
      expect((await store.listJobs({}, 10, null)).jobs).toHaveLength(3);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("refuses a repeated id whether or not someone watches events (one EXISTS answers both)", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "dup-watch" });
    const seen: JobEvent[] = [];
    const unwatch = await store.watch((event) => seen.push(event));
    try {
      const a = newJob();
      await store.enqueue([a]);
      const b = newJob();
      await expect(store.enqueue([b, newJob({ id: a.id })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      expect(await store.getJob(b.id)).toBeNull();
      const c = newJob();
      await store.enqueue([c]);
      await waitFor(async () => seen.some((e) => e.jobId === c.id && e.type === "job:enqueued"), { what: "c's enqueue event" });
      expect(seen.some((e) => e.jobId === b.id)).toBe(false);
    } finally {
      await unwatch();
    }
    // Nobody watching: the same refusal.
    const d = newJob();
    await store.enqueue([d]);
    await expect(store.enqueue([newJob(), newJob({ id: d.id })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await store.close();
  });

  it("keeps rarely set fields exact through the packed enqueue argument (quotes, unicode, lone surrogates)", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "extras" });
    try {
      const meta = { projectId: 'p "1" é', userId: "u\\2 😀", note: "lone \uD800 and \uDC00", n: 1.5e-7 };
      const key = 'k "\uD800" 😀';
      const job = newJob({ meta, idempotencyKey: key, delayMs: 60_000 });
      const [first] = await store.enqueue([job]);
      expect(first).toMatchObject({ created: true, job: { status: "SCHEDULED", idempotencyKey: key } });
      const stored = await store.getJob(job.id);
      // Meta is stored as its JSON text, unchanged; keys and ids lose only unpaired surrogates.
      expect(stored?.meta).toEqual(JSON.parse(JSON.stringify(meta)));
      expect(stored?.idempotencyKey).toBe('k "\uFFFD" 😀');
      expect(stored?.runAt).toBe((stored?.createdAt ?? 0) + 60_000);
      const [again] = await store.enqueue([newJob({ idempotencyKey: key })]);
      expect(again).toMatchObject({ created: false, job: { id: job.id } });
      expect((await store.listJobs({ projectId: 'p "1" é' }, 10, null)).jobs.map((j) => j.id)).toEqual([job.id]);
      expect((await store.listJobs({ userId: "u\\2 😀" }, 10, null)).jobs.map((j) => j.id)).toEqual([job.id]);
    } finally {
      await store.close();
    }
  });

  it("works as an ACL user limited to the documented commands and key pattern", async () => {
    const admin = new Redis(server.url);
    await admin.call("ACL", "SETUSER", "caudex", "reset", "on", ">s3cret", ...REDIS_ACL_RULES);
    admin.disconnect();
    const url = server.url.replace("redis://", "redis://caudex:s3cret@");
    const store = await RedisStore.connect({ url, namespace: "acl" });
    const job = newJob();
    await store.enqueue([job]);
    const [claimed] = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 1000 });
    await store.complete({ jobId: job.id, token: claimed?.leaseToken ?? "" }, "ok");
    const unwatch = await store.watch(() => undefined);
    await unwatch();
    await store.waitForWork(["default"], 10, new AbortController().signal);
    expect((await store.getJob(job.id))?.result).toBe("ok");
    expect(await store.stats()).toHaveLength(1);
    expect(await store.finishesPerMinute(0)).toMatchObject([{ queue: "default", completed: 1 }]);
    // A claim that carries a completion, and a prune pass, under the same rules.
    const second = newJob();
    await store.enqueue([second]);
    const [held] = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 1000 });
    const carried = store.complete({ jobId: second.id, token: held?.leaseToken ?? "" }, null);
    await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 1000 });
    await carried;
    expect(await store.prune(10)).toBe(0);
    // Waiting jobs cancelled and removed (packed, and with a hash), listed and read back.
    const waiting = [newJob({ meta: { projectId: "p1" } }), newJob({ idempotencyKey: "acl-hash" }), newJob()];
    await store.enqueue(waiting);
    expect((await store.listJobs({ status: "QUEUED" }, 10, null)).jobs).toHaveLength(3);
    await store.cancel(waiting[0]?.id ?? "");
    await store.cancel(waiting[1]?.id ?? "");
    await store.remove(waiting[2]?.id ?? "");
    expect((await store.getJob(waiting[0]?.id ?? ""))?.status).toBe("CANCELED");
    // Schedules: every operation, a fire through the general enqueue, and a listing of its jobs.
    const now = await store.now();
    const { schedule } = await store.upsertSchedule({ schedule: newSchedule("acl", { overlap: "skip" }), now, nextFireAt: now });
    expect((await store.dueSchedules(10)).schedules.map((s) => s.id)).toEqual(["acl"]);
    const fired = await store.fireSchedule(fireRequest(schedule, [now], now + 60_000));
    expect((await store.listJobs({ scheduleId: "acl" }, 10, null)).jobs.map((j) => j.id)).toEqual(fired.jobs.map((j) => j.id));
    await store.triggerSchedule("acl", newJob({ schedule: { scheduleId: "acl", fireAt: now } }));
    await store.pauseSchedule("acl");
    await store.resumeSchedule("acl", now, now + 60_000, schedule.timingText);
    expect((await store.listSchedules(10, null)).schedules).toHaveLength(1);
    await store.removeSchedule("acl");
    expect((await store.health()).ok).toBe(true);
    await store.close();
  });

  it("carries completions waiting to be sent with the next claim: one call, each token still checked", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "carry" });
    const admin = new Redis(server.url);
    try {
      const jobs = [newJob(), newJob(), newJob(), newJob()];
      await store.enqueue(jobs);
      const claim = (limit: number) => store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit, leaseMs: 30_000 });
      const [a, b] = await claim(2);
      await admin.config("RESETSTAT");
      // Issued in the same tick: the claim takes both completions along.
      const good = store.complete({ jobId: a?.id ?? "", token: a?.leaseToken ?? "" }, { n: 1 });
      const stale = store.complete({ jobId: b?.id ?? "", token: "not-the-token" }, null);
      const next = await claim(2);
      await expect(good).resolves.toBeUndefined();
      await expect(stale).rejects.toMatchObject({ code: "LEASE_LOST" });
      expect(next.map((job) => job.id)).toEqual([jobs[2]?.id, jobs[3]?.id]);
      const calls = /cmdstat_evalsha:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1];
      expect(calls).toBe("1");
      expect(await store.getJob(a?.id ?? "")).toMatchObject({ status: "COMPLETED", result: { n: 1 } });
      expect((await store.getJob(b?.id ?? ""))?.status).toBe("PROCESSING");
      // A claim that fails in Redis after settling what it carried (here: a queue key of the
      // wrong type) has written those completions in full; the callers are not told OK.
      const [c, d] = next;
      await admin.set(store.keys.queue("broken"), "not a list");
      const written = store.complete({ jobId: d?.id ?? "", token: d?.leaseToken ?? "" }, "kept");
      await expect(store.claim({ queues: ["broken"], worker: "w", incarnation: "i", limit: 1, leaseMs: 1000 })).rejects.toThrow(/WRONGTYPE/);
      await expect(written).rejects.toThrow(/WRONGTYPE/);
      expect(await store.getJob(d?.id ?? "")).toMatchObject({ status: "COMPLETED", result: "kept" });
      expect(await admin.zscore(store.keys.leases(), d?.id ?? "")).toBeNull();
      expect((await store.stats()).find((q) => q.queue === "default")?.counts).toMatchObject({ PROCESSING: 2, COMPLETED: 2 });
      // A claim that cannot reach Redis takes its carried completions down with it (none is acknowledged).
      const own = await RedisServer.start();
      const lost = await RedisStore.connect({ url: own.url, namespace: "carry" });
      await own.kill();
      const carried = lost.complete({ jobId: c?.id ?? "", token: c?.leaseToken ?? "" }, null);
      await expect(lost.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 1000 })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await expect(carried).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await lost.close();
      await own.stop();
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("skips a maintenance pass, without a script call, while another process holds the window", async () => {
    const a = await RedisStore.connect({ url: server.url, namespace: "maintenance" });
    const admin = new Redis(server.url);
    const scriptCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    try {
      const [scheduled] = await a.enqueue([newJob({ delayMs: 1 })]);
      const runAt = scheduled?.job.runAt ?? 0;
      // Due by the server's clock (the store's time), so a pass that ran would promote it.
      await waitFor(async () => {
        const [seconds = 0, micros = 0] = await admin.time();
        return Number(seconds) * 1000 + Number(micros) / 1000 >= runAt;
      }, { what: "the job to be due" });
      // Another process took this window (held long enough for the check below).
      await admin.set(a.keys.maintenanceTick(), "1", "PX", 60_000);
      const before = await scriptCalls();
      expect(await a.promoteDue(10)).toBe(0);
      expect(await scriptCalls()).toBe(before);
      await admin.del(a.keys.maintenanceTick());
    } finally {
      admin.disconnect();
      await a.close();
    }
  });

  it("cannot connect to a missing server and says so", async () => {
    await expect(RedisStore.connect({ url: "redis://127.0.0.1:1" })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });

  it("refuses a database number the server does not have, instead of going on with database 0", async () => {
    const connecting = RedisStore.connect({ url: `${server.url}/99`, namespace: "db99" });
    await expect(connecting).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    await expect(connecting).rejects.toThrow(/DB index is out of range/);
    const admin = new Redis(server.url);
    try {
      expect(await admin.keys("caudex:{db99}:*")).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });

  it("says that Redis refused the password, not only that the connection closed", async () => {
    const locked = await RedisServer.start();
    const admin = new Redis(locked.url);
    await admin.config("SET", "requirepass", "right-password");
    admin.disconnect();
    try {
      const url = locked.url.replace("redis://", "redis://:wrong-password@");
      await expect(RedisStore.connect({ url })).rejects.toThrow(/WRONGPASS/);
      const store = await RedisStore.connect({ url: locked.url.replace("redis://", "redis://:right-password@") });
      await store.close();
    } finally {
      await locked.stop();
    }
  });
});
