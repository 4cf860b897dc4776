// Waiting jobs on Redis: plain jobs wait packed in their queue list (no hash of their own) and
// are found by id through the bucketed QUEUED index. These checks read the key layout directly,
// and drive every path that must find, list, count, remove or claim such a job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { newJob } from "../../../test/support/jobs.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { DEFAULT_BACKOFF } from "../../core/job-rules.js";
import { ManualClock } from "../../core/clock.js";
import type { JobEvent } from "../../core/events.js";
import type { NewJob } from "../../core/job.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
let server: RedisServer;
let admin: Redis;
let n = 0;

/** A store on a namespace of its own, and that namespace's key prefix. */
async function fresh(): Promise<{ store: RedisStore; prefix: string }> {
  const store = await RedisStore.connect({ url: server.url, namespace: `waiting-${n++}` });
  return { store, prefix: store.keys.prefix };
}

/**
 * Sizes of every QUEUED index bucket, and how many buckets `qdir` names; checks on the way that
 * `qnum` names the last bucket of `qdir` (the short enqueue path trusts '#ll' and '#ln').
 */
async function buckets(prefix: string): Promise<{ sizes: number[]; named: number }> {
  const keys = await admin.keys(`${prefix}qi:*`);
  const sizes = await Promise.all(keys.map((key) => admin.hlen(key)));
  const [last] = await admin.zrange(`${prefix}qdir`, "-1", "-1");
  const named = await admin.hmget(`${prefix}qnum`, "#ll", "#ln");
  expect(named).toEqual(last === undefined ? [null, null] : last.split("\u0000"));
  return { sizes, named: await admin.zcard(`${prefix}qdir`) };
}

/** Enqueues one job while a worker waits for work, and checks that the enqueue woke it. */
async function enqueueWakes(store: RedisStore): Promise<NewJob> {
  const waiting = store.waitForWork(["default"], 5000, new AbortController().signal);
  const started = Date.now();
  const job = newJob();
  await store.enqueue([job]);
  await waiting;
  expect(Date.now() - started).toBeLessThan(2000);
  return job;
}

const claimAll = (store: RedisStore, limit: number, queues = ["default"]) => store.claim({ queues, worker: "w", incarnation: "i", limit, leaseMs: 60_000 });

/** `count` jobs with ids in random order (several producers' ids interleave like this). */
function shuffledJobs(count: number, overrides: Partial<NewJob> = {}): NewJob[] {
  const jobs = Array.from({ length: count }, (_, i) => newJob({ payload: { i }, ...overrides }));
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j] as NewJob, jobs[i] as NewJob];
  }
  return jobs;
}

describe.skipIf(!available)("redis waiting jobs", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it("keeps a waiting job without an idempotency key in its list entry only, and reads it back whole", async () => {
    const { store, prefix } = await fresh();
    try {
      const defaults = newJob({ maxAttempts: 3, timeoutMs: 600_000, backoff: DEFAULT_BACKOFF, resultTtlSeconds: 86_400, failureTtlSeconds: 604_800, payload: { text: "héllo \u0000 \"quoted\"" } });
      const custom = newJob({ task: "other.task", maxAttempts: 7, timeoutMs: 1234, retryOnTimeout: true, resultTtlSeconds: 5, failureTtlSeconds: 6 });
      const withKey = newJob({ idempotencyKey: "k-1" });
      const withMeta = newJob({ meta: { projectId: "p\"1", userId: "u-é", note: "x\u0000y" } });
      const [a, b, c, d] = await store.enqueue([defaults, custom, withKey, withMeta]);
      expect(await admin.exists(`${prefix}job:${defaults.id}`, `${prefix}job:${custom.id}`, `${prefix}job:${withMeta.id}`)).toBe(0);
      expect(await admin.exists(`${prefix}job:${withKey.id}`)).toBe(1);
      const entries = await admin.lrange(`${prefix}queue:default`, 0, -1);
      expect(entries[0]?.startsWith(`\u0000${defaults.id}\u0000`)).toBe(true);
      expect(entries[2]).toBe(withKey.id);
      expect(entries[3]?.startsWith(`\u0000\u0000{`)).toBe(true);
      // Meta, project and user wait packed too, and the project and user listings find the job.
      expect((await store.listJobs({ projectId: 'p"1' }, 5, null)).jobs.map((job) => job.id)).toEqual([withMeta.id]);
      expect((await store.listJobs({ userId: "u-é", status: "QUEUED" }, 5, null)).jobs.map((job) => job.meta)).toEqual([withMeta.meta]);
      for (const [result, job] of [[a, defaults], [b, custom], [c, withKey], [d, withMeta]] as const) {
        const stored = await store.getJob(job.id);
        expect(stored).toEqual(result?.job);
        expect(stored).toMatchObject({ status: "QUEUED", task: job.task, payload: job.payload, maxAttempts: job.maxAttempts, timeoutMs: job.timeoutMs, retryOnTimeout: job.retryOnTimeout, resultTtlSeconds: job.resultTtlSeconds, failureTtlSeconds: job.failureTtlSeconds, attempt: 0 });
      }
      expect((await store.jobEvents(defaults.id)).map((e) => e.type)).toEqual(["job:enqueued"]);
      // A claim gives the packed job a short hash that keeps its entry ('pk'); its fields still
      // read back whole, and the project and user listings still find it.
      const claimed = await claimAll(store, 4);
      expect(claimed.map((j) => j.id)).toEqual([defaults.id, custom.id, withKey.id, withMeta.id]);
      // An entry that left the usual options out reads them back in the worker too.
      expect(claimed[0]).toMatchObject({ maxAttempts: 3, timeoutMs: 600_000, backoff: DEFAULT_BACKOFF, retryOnTimeout: false, resultTtlSeconds: 86_400, failureTtlSeconds: 604_800, payload: defaults.payload });
      expect(claimed[3]?.meta).toEqual(withMeta.meta);
      // Four leases, in the skiplist encoding (see LEASES_ANCHOR); the anchor is no running job.
      expect(await admin.object("ENCODING", `${prefix}leases`)).toBe("skiplist");
      expect((await store.listJobs({ status: "PROCESSING" }, 10, null)).jobs.map((j) => j.id).sort()).toEqual(claimed.map((j) => j.id).sort());
      expect(await admin.hget(`${prefix}job:${withMeta.id}`, "pk")).toBe(entries[3]);
      expect(await admin.hmget(`${prefix}job:${withMeta.id}`, "task", "payload", "project", "user")).toEqual([null, null, null, null]);
      expect((await store.listJobs({ projectId: 'p"1', status: "PROCESSING" }, 5, null)).jobs.map((job) => job.meta)).toEqual([withMeta.meta]);
      expect(await store.getJob(withMeta.id)).toMatchObject({ status: "PROCESSING", task: withMeta.task, payload: withMeta.payload, meta: withMeta.meta, createdAt: d?.job.createdAt, enqueuedAt: d?.job.enqueuedAt });
      expect(claimed[1]).toMatchObject({ task: "other.task", maxAttempts: 7, timeoutMs: 1234, retryOnTimeout: true, resultTtlSeconds: 5, failureTtlSeconds: 6, attempt: 1, status: "PROCESSING", createdAt: b?.job.createdAt, enqueuedAt: b?.job.enqueuedAt });
      expect(await store.getJob(defaults.id)).toMatchObject({ status: "PROCESSING", payload: defaults.payload, createdAt: a?.job.createdAt });
      await store.complete({ jobId: custom.id, token: claimed[1]?.leaseToken ?? "" }, { ok: true });
      expect(await store.getJob(custom.id)).toMatchObject({ status: "COMPLETED", result: { ok: true } });
      expect(await buckets(prefix)).toEqual({ sizes: [], named: 1 });
    } finally {
      await store.close();
    }
  });

  it("finds, lists and claims thousands of jobs whose ids arrive out of order, in buckets that stay compact", async () => {
    const { store, prefix } = await fresh();
    try {
      const jobs = [...shuffledJobs(1500), ...shuffledJobs(1000, { queue: "other" })];
      for (let i = 0; i < jobs.length; i += 250) await store.enqueue(jobs.slice(i, i + 250));
      const { sizes, named } = await buckets(prefix);
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(2500);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(120);
      expect(named).toBe(sizes.length);
      for (const size of await Promise.all((await admin.keys(`${prefix}qi:*`)).map((key) => admin.object("ENCODING", key)))) expect(size).toBe("listpack");
      // Every job is found by id.
      const sample = jobs.filter((_, i) => i % 7 === 0);
      const found = await Promise.all(sample.map((job) => store.getJob(job.id)));
      expect(found.map((job) => job?.payload)).toEqual(sample.map((job) => job.payload));
      // The QUEUED listing: every id once, newest first, across both queues.
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listJobs({ status: "QUEUED" }, 100, cursor);
        listed.push(...page.jobs.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(listed).toEqual(jobs.map((job) => job.id).sort().reverse());
      expect((await store.listJobs({ status: "QUEUED", queue: "other" }, 5, null)).jobs.every((job) => job.queue === "other")).toBe(true);
      // Claims go in list order and empty the index: only the first bucket's name is left.
      const claimed = [...(await claimAll(store, 1500)), ...(await claimAll(store, 1000, ["other"]))];
      expect(claimed.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
      expect(await buckets(prefix)).toEqual({ sizes: [], named: 1 });
      expect(await store.getJob(jobs[0]?.id ?? "")).toMatchObject({ status: "PROCESSING" });
    } finally {
      await store.close();
    }
  });

  it("cancels and removes packed jobs by leaving gaps: the jobs behind keep their place, counts and claims skip the gaps", async () => {
    const { store, prefix } = await fresh();
    try {
      const jobs = Array.from({ length: 10 }, (_, i) => newJob({ payload: { i }, meta: i === 2 || i === 5 ? { projectId: `p${i}` } : {} }));
      await store.enqueue(jobs);
      const canceled = await store.cancel(jobs[2]?.id ?? "");
      expect(canceled).toMatchObject({ status: "CANCELED", payload: { i: 2 }, task: "noop", meta: { projectId: "p2" } });
      expect((await store.listJobs({ projectId: "p2" }, 5, null)).jobs.map((job) => job.status)).toEqual(["CANCELED"]);
      await store.remove(jobs[5]?.id ?? "");
      expect(await store.getJob(jobs[5]?.id ?? "")).toBeNull();
      expect(await admin.exists(`${prefix}project:p5`)).toBe(0);
      expect(await admin.llen(`${prefix}queue:default`)).toBe(10);
      expect((await store.stats())[0]?.counts).toMatchObject({ QUEUED: 8, CANCELED: 1 });
      // A job behind the gaps is still found where it is.
      expect(await store.getJob(jobs[9]?.id ?? "")).toMatchObject({ status: "QUEUED", payload: { i: 9 } });
      // A released job goes to the head: the packed jobs keep being found.
      const [first] = await claimAll(store, 1);
      await store.release({ jobId: first?.id ?? "", token: first?.leaseToken ?? "" });
      expect(await store.getJob(jobs[9]?.id ?? "")).toMatchObject({ status: "QUEUED", payload: { i: 9 } });
      expect(await store.getJob(jobs[0]?.id ?? "")).toMatchObject({ status: "QUEUED", attempt: 0 });
      const claimed = await claimAll(store, 20);
      expect(claimed.map((job) => (job.payload as { i: number }).i)).toEqual([0, 1, 3, 4, 6, 7, 8, 9]);
      expect((await store.stats())[0]?.counts.QUEUED).toBe(0);
      expect(await store.getJob(jobs[2]?.id ?? "")).toMatchObject({ status: "CANCELED" });
      // The canceled job can be retried: it waits again, now with a hash.
      expect(await store.retry(jobs[2]?.id ?? "")).toMatchObject({ status: "QUEUED" });
      expect((await claimAll(store, 5)).map((job) => job.id)).toEqual([jobs[2]?.id]);
    } finally {
      await store.close();
    }
  });

  it("drops a list left with gaps only, so the next enqueue wakes a waiting worker", async () => {
    const { store, prefix } = await fresh();
    try {
      const jobs = [newJob(), newJob(), newJob({ idempotencyKey: "has-a-hash" })];
      await store.enqueue(jobs);
      for (const job of jobs) await store.cancel(job.id);
      expect(await admin.exists(`${prefix}queue:default`)).toBe(0);
      expect(await admin.hget(`${prefix}counts`, "default|gaps")).toBeNull();
      expect((await store.stats())[0]?.counts).toMatchObject({ QUEUED: 0, CANCELED: 3 });
      const next = await enqueueWakes(store);
      expect(await store.getJob(next.id)).toMatchObject({ status: "QUEUED" });
      expect((await claimAll(store, 5)).map((job) => job.id)).toEqual([next.id]);
    } finally {
      await store.close();
    }
  });

  it("refuses a repeated id of a packed job, and reports the oldest waiting time from a packed head", async () => {
    const clock = new ManualClock(Date.now());
    const store = await RedisStore.connect({ url: server.url, namespace: `waiting-${n++}`, clock });
    try {
      const job = newJob();
      await store.enqueue([job]);
      clock.advance(30);
      await expect(store.enqueue([newJob(), newJob({ id: job.id })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      const [stats] = await store.stats();
      expect(stats?.counts.QUEUED).toBe(1);
      // Without a readable head time this would be null.
      expect(stats?.oldestWaitingMs).toBe(30);
    } finally {
      await store.close();
    }
  });

  it("moves waiting jobs indexed by an earlier build (the sorted set status:QUEUED) to the current index at connect", async () => {
    const namespace = `waiting-old-${n++}`;
    const prefix = `caudex:{${namespace}}:`;
    const ids = Array.from({ length: 1200 }, () => newJob().id).sort();
    const write = admin.multi();
    for (const id of ids) {
      write.hset(`${prefix}job:${id}`, { task: "noop", queue: "default", payload: "{}", opts: "[3,600000,1000,3600000,2,0.2,0]", created: "1", enqueued: "1", status: "QUEUED", rttl: "60", fttl: "60" });
      write.rpush(`${prefix}queue:default`, id);
      write.zadd(`${prefix}status:QUEUED`, 0, id);
    }
    // A stale entry (the job finished) is dropped, not indexed.
    write.hset(`${prefix}job:job_stale`, { task: "noop", queue: "default", payload: "{}", status: "COMPLETED", created: "1" });
    write.zadd(`${prefix}status:QUEUED`, 0, "job_stale");
    write.sadd(`${prefix}queues`, "default");
    await write.exec();
    const store = await RedisStore.connect({ url: server.url, namespace });
    try {
      expect(await admin.exists(`${prefix}status:QUEUED`)).toBe(0);
      const { sizes } = await buckets(prefix);
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(1200);
      const page = await store.listJobs({ status: "QUEUED" }, 3, null);
      expect(page.jobs.map((job) => job.id)).toEqual(ids.slice(-3).reverse());
      expect((await store.stats())[0]?.counts.QUEUED).toBe(1200);
      await store.cancel(ids[10] ?? "");
      const claimed = await claimAll(store, 1200);
      expect(claimed).toHaveLength(1199);
      expect(await buckets(prefix)).toEqual({ sizes: [], named: 1 });
    } finally {
      await store.close();
    }
  });

  it("pops gaps at the head: a claim that leaves only gaps drops the list (the next enqueue wakes workers), and the head is a job", async () => {
    const { store, prefix } = await fresh();
    try {
      const [a, b, c] = [newJob(), newJob(), newJob({ idempotencyKey: "hash" })];
      await store.enqueue([a, b, c]);
      await store.cancel(b.id);
      await store.cancel(c.id);
      expect((await claimAll(store, 1)).map((job) => job.id)).toEqual([a.id]);
      expect(await admin.exists(`${prefix}queue:default`)).toBe(0);
      expect(await admin.hget(`${prefix}counts`, "default|gaps")).toBeNull();
      const next = await enqueueWakes(store);
      // Cancelling the first 17 of 20: the list starts at the 18th, which stats read.
      const jobs = Array.from({ length: 20 }, () => newJob());
      await store.enqueue(jobs);
      await store.cancel(next.id);
      for (const job of jobs.slice(0, 17)) await store.cancel(job.id);
      expect(await admin.llen(`${prefix}queue:default`)).toBe(3);
      const [stats] = await store.stats();
      expect(stats?.counts.QUEUED).toBe(3);
      expect(stats?.oldestWaitingMs).not.toBeNull();
      expect(await store.getJob(jobs[19]?.id ?? "")).toMatchObject({ status: "QUEUED" });
      expect((await claimAll(store, 10)).map((job) => job.id)).toEqual(jobs.slice(17).map((job) => job.id));
    } finally {
      await store.close();
    }
  });

  it("refuses an empty id or one containing NUL (list entries use both as markers), and names the layout cannot hold", async () => {
    const { store, prefix } = await fresh();
    try {
      for (const id of ["", "\u0000evil", "a\u0000b"]) {
        await expect(store.enqueue([newJob(), newJob({ id, idempotencyKey: "hash" })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
        // Also when the caller claims the id is a fresh one (the short scripts do not check ids).
        await expect(store.enqueue([newJob({ id, freshId: true })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      }
      // Task names hold no NUL either, and queue names are fields of `qnum`, whose own start with # or ^.
      for (const bad of [{ task: "a\u0000b" }, { queue: "" }, { queue: "#ll" }, { queue: "^x" }]) {
        await expect(store.enqueue([newJob(bad)])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      }
      // A malformed job rejects; it never throws.
      const broken = { ...newJob(), backoff: undefined } as unknown as NewJob;
      const outcome = store.enqueue([broken]);
      expect(outcome).toBeInstanceOf(Promise);
      await expect(outcome).rejects.toBeInstanceOf(TypeError);
      expect(await admin.exists(`${prefix}queue:default`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("keeps jobs of queues numbered 1,024 and up in hashes (a packed job's place holds a queue number below 1,024)", async () => {
    const { store, prefix } = await fresh();
    try {
      const jobs = Array.from({ length: 1030 }, (_, i) => newJob({ queue: `q${i}`, payload: { i } }));
      await store.enqueue(jobs);
      expect(await admin.exists(`${prefix}job:${jobs[1022]?.id ?? ""}`)).toBe(0);
      expect(await admin.exists(`${prefix}job:${jobs[1023]?.id ?? ""}`)).toBe(1);
      const found = await Promise.all(jobs.map((job) => store.getJob(job.id)));
      expect(found.map((job) => [job?.queue, job?.payload])).toEqual(jobs.map((job) => [job.queue, job.payload]));
      const claimed = await claimAll(store, 2, ["q1029", "q5"]);
      expect(claimed.map((job) => job.id)).toEqual([jobs[1029]?.id, jobs[5]?.id]);
    } finally {
      await store.close();
    }
  });

  it("stores single jobs the same way on the short path and off it (first job, full bucket, an id from behind, a new queue)", async () => {
    const { store, prefix } = await fresh();
    try {
      // 130 single enqueues: the first finds no bucket, the 121st a full one; each goes on.
      const jobs: NewJob[] = [];
      for (let i = 0; i < 130; i++) {
        const job = newJob({ payload: { i }, queue: i === 125 ? "other" : "default" });
        jobs.push(job);
        await store.enqueue([job]);
      }
      expect((await buckets(prefix)).sizes.sort((a, b) => a - b)).toEqual([10, 120]);
      // A producer whose clock is behind: its id falls below the last bucket's lowest id, into
      // the first bucket, which is full (it splits).
      const behind = newJob({ id: `${(jobs[60]?.id ?? "").slice(0, 14)}${"0".repeat(16)}`, freshId: true, payload: { behind: true } });
      expect(behind.id < (jobs[60]?.id ?? "")).toBe(true);
      await store.enqueue([behind]);
      const sizes = (await buckets(prefix)).sizes;
      expect([sizes.reduce((a, b) => a + b, 0), sizes.length]).toEqual([131, 3]);
      const entries = await admin.lrange(`${prefix}queue:default`, 0, -1);
      expect(entries).toHaveLength(130);
      expect(entries.every((entry) => entry.startsWith("\u0000job_"))).toBe(true);
      for (const job of [...jobs, behind]) expect(await store.getJob(job.id)).toMatchObject({ status: "QUEUED", queue: job.queue, payload: job.payload });
      const claimed = await claimAll(store, 200, ["default", "other"]);
      expect(claimed.map((job) => job.id)).toEqual([...jobs.filter((job) => job.queue === "default"), behind, ...jobs.filter((job) => job.queue === "other")].map((job) => job.id));
      expect(await buckets(prefix)).toEqual({ sizes: [], named: 1 });
    } finally {
      await store.close();
    }
  });

  it("writes the same entry and the same watched event on each enqueue path, stamped with the server's time", async () => {
    const { store, prefix } = await fresh();
    const seen: JobEvent[] = [];
    const unwatch = await store.watch((event) => seen.push(event));
    try {
      // The usual options (left out of the entry) and some meta, on each path: one plain job
      // (enqueue-one), a batch of plain jobs (enqueue-plain), a caller's id (enqueue.lua).
      const like = { maxAttempts: 3, timeoutMs: 600_000, backoff: DEFAULT_BACKOFF, resultTtlSeconds: 86_400, failureTtlSeconds: 604_800, payload: { n: 1 }, meta: { note: "same" } };
      await store.enqueue([newJob(like)]); // the first job of a namespace takes enqueue-plain: no bucket yet
      const before = Date.now();
      await admin.config("RESETSTAT");
      const one = newJob(like);
      await store.enqueue([one]);
      const scriptCalls = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1]);
      const batch = [newJob(like), newJob(like)];
      await store.enqueue(batch);
      const callers = newJob({ ...like, id: "job_caller-chosen" });
      await store.enqueue([callers]);
      const after = Date.now();
      // One script call: the short path took the single job.
      expect(scriptCalls).toBe(1);
      const jobs = [one, ...batch, callers];
      const entries = (await admin.lrange(`${prefix}queue:default`, 1, -1)).map((entry, i) => {
        const id = jobs[i]?.id ?? "";
        expect(entry).toContain(`\u0000${id}\u0000`);
        // The creation time is the field after the task name.
        const parts = entry.replace(id, "<id>").split("\u0000");
        parts[5] = "<created>";
        return parts.join("\u0000");
      });
      expect(new Set(entries).size).toBe(1);
      expect(entries[0]).toBe(`\u0000\u0000{"m":"{\\"note\\":\\"same\\"}"}\u0000<id>\u0000noop\u0000<created>\u0000\u0000\u0000\u0000{"n":1}`);
      for (const job of jobs) {
        const stored = await store.getJob(job.id);
        expect(stored).toMatchObject({ status: "QUEUED", maxAttempts: 3, timeoutMs: 600_000, backoff: DEFAULT_BACKOFF, resultTtlSeconds: 86_400, failureTtlSeconds: 604_800, meta: like.meta });
        // The store's clock is Redis's TIME, the same machine's clock here.
        expect(stored?.createdAt).toBeGreaterThanOrEqual(before - 5);
        expect(stored?.createdAt).toBeLessThanOrEqual(after + 5);
      }
      await waitFor(() => seen.filter((event) => jobs.some((job) => job.id === event.jobId)).length === jobs.length, { what: "four job:enqueued events" });
      const events = await Promise.all(jobs.map(async (job) => {
        const event = seen.find((e) => e.jobId === job.id);
        return { ...event, jobId: "<id>", seq: "<seq>", at: event?.at === (await store.getJob(job.id))?.createdAt };
      }));
      expect(events).toEqual(jobs.map(() => ({ type: "job:enqueued", jobId: "<id>", queue: "default", task: "noop", status: "QUEUED", attempt: 0, at: true, seq: "<seq>" })));
    } finally {
      await unwatch();
      await store.close();
    }
  });
});
