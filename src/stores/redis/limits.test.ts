// Per-key limits on Redis (decision 0023), beyond the store contract: the lanes and rings a
// queue keeps only while limited jobs wait, lane jobs counted as QUEUED and taken out when
// cancelled or removed, every way back to QUEUED going to the lane, wake-ups when a refused
// key frees a slot or a refused rate has a token again, listings in (name, key) order, and the
// documented ACL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { newJob } from "../../../test/support/jobs.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { ManualClock } from "../../core/clock.js";
import type { ClaimedJob, NewJob } from "../../core/job.js";
import type { LimitKey } from "../../core/limits.js";
import { REDIS_ACL_RULES } from "./acl.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
let server: RedisServer;
let admin: Redis;
let n = 0;

async function fresh(url = server.url): Promise<{ store: RedisStore; prefix: string; clock: ManualClock }> {
  const clock = new ManualClock(1_700_000_000_000);
  const store = await RedisStore.connect({ url, namespace: `limits-${n++}`, clock });
  return { store, prefix: store.keys.prefix, clock };
}

const claim = (store: RedisStore, limit = 100): Promise<ClaimedJob[]> => store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit, leaseMs: 30_000 });
const tenant = (key: string, overrides: Partial<NewJob> = {}): NewJob => newJob({ limitKeys: [{ name: "per-project", key }], ...overrides });
const declare = (store: RedisStore, concurrency: number) => store.upsertLimit({ name: "per-project", key: null, concurrency, rate: null, source: "declared" });

describe.skipIf(!available)("redis limits", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server?.stop();
  });

  it("keeps a queue's ring, lanes and lane flag only while limited jobs wait, and plain jobs packed beside them", async () => {
    const { store, prefix } = await fresh();
    await declare(store, 5);
    const jobs = [newJob(), tenant("A"), tenant("A"), tenant("B")];
    await store.enqueue(jobs);
    expect(await admin.zrange(`${prefix}lanes:default`, "0", "-1")).toEqual(["", "per-project|A", "per-project|B"]);
    expect(await admin.lrange(`${prefix}lane:default|per-project|A`, 0, -1)).toEqual([jobs[1]?.id, jobs[2]?.id]);
    // The flag a claim reads with the queue's pause, in the same command.
    expect(await admin.smembers(`${prefix}paused`)).toEqual(["\0default"]);
    expect((await store.stats()).map((q) => q.queue)).toEqual(["default"]);
    // The plain job still waits packed, with no hash; the limited ones have theirs, with their keys.
    expect(await admin.exists(`${prefix}job:${jobs[0]?.id}`)).toBe(0);
    expect(await admin.hget(`${prefix}job:${jobs[1]?.id}`, "lk")).toBe("per-project|A");
    const claimed = await claim(store);
    expect(claimed.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(claimed.find((j) => j.id === jobs[3]?.id)?.limitKeys).toEqual([{ name: "per-project", key: "B" }]);
    expect(await admin.exists(`${prefix}lanes:default`, `${prefix}lane:default|per-project|A`, `${prefix}lane:default|per-project|B`)).toBe(0);
    expect(await admin.hget(`${prefix}counts`, "default|laned")).toBeNull();
    expect(await admin.exists(`${prefix}paused`)).toBe(0);
    expect(await admin.hgetall(`${prefix}limit-running`)).toEqual({ "per-project|A": "2", "per-project|B": "1" });
    for (const job of claimed) await store.complete({ jobId: job.id, token: job.leaseToken }, null);
    expect(await admin.exists(`${prefix}limit-running`, `${prefix}limit-waiting`)).toBe(0);
    await store.close();
  });

  it("counts lane jobs as QUEUED, and takes a cancelled or removed waiting job out of its lane", async () => {
    const { store, prefix } = await fresh();
    await declare(store, 1);
    const jobs = [tenant("A"), tenant("A"), tenant("A"), newJob()];
    await store.enqueue(jobs);
    expect((await store.stats())[0]).toMatchObject({ queue: "default", counts: { QUEUED: 4 } });
    await store.cancel(jobs[1]?.id ?? "");
    await store.remove(jobs[2]?.id ?? "");
    expect(await admin.lrange(`${prefix}lane:default|per-project|A`, 0, -1)).toEqual([jobs[0]?.id]);
    expect((await store.stats())[0]).toMatchObject({ counts: { QUEUED: 2, CANCELED: 1 } });
    expect(await store.getLimit("per-project", "A")).toMatchObject({ waiting: 1, running: 0 });
    expect((await store.listJobs({ status: "QUEUED" }, 10, null)).jobs.map((j) => j.id).sort()).toEqual([jobs[0]?.id, jobs[3]?.id].sort());
    await store.cancel(jobs[0]?.id ?? "");
    expect(await admin.exists(`${prefix}lanes:default`)).toBe(0);
    expect(await store.getLimit("per-project", "A")).toMatchObject({ waiting: 0 });
    await store.close();
  });

  it("sends a job under limits back to its lane on every way back to QUEUED: promotion, held, dependencies, retry", async () => {
    const { store, prefix, clock } = await fresh();
    await declare(store, 10);
    const parent = newJob();
    const delayed = tenant("A", { delayMs: 1000 });
    const held = tenant("A", { hold: true });
    const child = tenant("A", { dependsOn: [parent.id] });
    await store.enqueue([parent, delayed, held, child]);
    clock.advance(1000);
    expect(await store.promoteDue(10)).toBe(1);
    await store.enqueuePending(held.id);
    const lane = `${prefix}lane:default|per-project|A`;
    expect(await admin.lrange(lane, 0, -1)).toEqual([delayed.id, held.id]);
    const [running] = await claim(store, 1);
    expect(running?.id).toBe(parent.id);
    await store.complete({ jobId: parent.id, token: running?.leaseToken ?? "" }, null);
    expect(await admin.lrange(lane, 0, -1)).toEqual([delayed.id, held.id, child.id]);
    const three = await claim(store);
    expect(three.map((j) => j.id)).toEqual([delayed.id, held.id, child.id]);
    const first = three[0] as ClaimedJob;
    await store.fail({ jobId: first.id, token: first.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
    await store.retry(first.id);
    expect(await admin.lrange(lane, 0, -1)).toEqual([first.id]);
    expect(await store.getLimit("per-project", "A")).toMatchObject({ running: 2, waiting: 1 });
    await store.close();
  });

  it("wakes the queue's workers when a key a claim was refused frees a slot, and only then", async () => {
    const { store, prefix } = await fresh();
    const sub = new Redis(server.url);
    const woken: string[] = [];
    sub.on("message", (_channel: string, queue: string) => woken.push(queue));
    await sub.subscribe(`${prefix}wake`);
    try {
      await declare(store, 1);
      await store.enqueue([tenant("A"), tenant("A"), tenant("B")]);
      await waitFor(() => (woken.length > 0 ? true : undefined), { what: "the wake-up of the new lanes" });
      const [a, b] = await claim(store);
      const first = woken.length;
      // B's completion frees a slot no claim was refused: nobody is woken.
      await store.complete({ jobId: (b as ClaimedJob).id, token: (b as ClaimedJob).leaseToken }, null);
      expect(await claim(store)).toEqual([]);
      expect(await admin.hgetall(`${prefix}limit-blocked`)).toEqual({ "per-project|A": "default" });
      await store.complete({ jobId: (a as ClaimedJob).id, token: (a as ClaimedJob).leaseToken }, null);
      await waitFor(() => (woken.length > first ? true : undefined), { what: "the wake-up of the freed slot" });
      expect(woken.slice(first)).toEqual(["default"]);
      expect(await admin.exists(`${prefix}limit-blocked`)).toBe(0);
    } finally {
      sub.disconnect();
      await store.close();
    }
  });

  it("ends a worker's wait when a rate that refused its claim has a token again, and claims then", async () => {
    const { store, clock } = await fresh();
    await store.upsertLimit({ name: "api", key: null, concurrency: null, rate: { limit: 4, periodMs: 1000, burst: 1 }, source: "declared" });
    const api: LimitKey[] = [{ name: "api", key: "x" }];
    await store.enqueue([newJob({ limitKeys: api }), newJob({ limitKeys: api })]);
    expect(await claim(store)).toHaveLength(1);
    // Refused: the next token is 250 ms away on the store's clock, so the wait ends then, not after a minute.
    expect(await claim(store)).toHaveLength(0);
    const started = Date.now();
    await store.waitForWork(["default"], 60_000, new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(30_000);
    // The wait ended with nothing announced, yet this claim goes to Redis (a quiet one would not).
    clock.advance(250);
    expect(await claim(store)).toHaveLength(1);
    await store.close();
  });

  it("lists keys in (name, key) order a page at a time, drops idle keys from its index, and refuses a bad cursor", async () => {
    const { store, prefix } = await fresh();
    const pairs: LimitKey[] = [{ name: "a.b", key: "1" }, { name: "a", key: "2" }, { name: "a", key: "10" }, { name: "b", key: "x|y" }];
    await store.enqueue(pairs.map((pair) => newJob({ limitKeys: [pair] })));
    await store.upsertLimit({ name: "c", key: "vip", concurrency: 3, rate: null, source: "operator" });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listLimits(2, cursor);
      expect(page.limits.length).toBeLessThanOrEqual(2);
      seen.push(...page.limits.map((l) => `${l.name}/${l.key}`));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(["a/10", "a/2", "a.b/1", "b/x|y", "c/vip"]);
    for (const job of await claim(store)) await store.complete({ jobId: job.id, token: job.leaseToken }, null);
    expect((await store.listLimits(10, null)).limits.map((l) => `${l.name}/${l.key}`)).toEqual(["c/vip"]);
    expect(await admin.zcard(`${prefix}limit-index`)).toBe(1);
    for (const bad of ["nope", "[1,2]", '["a"]', "{}"]) await expect(store.listLimits(10, bad)).rejects.toMatchObject({ code: "INVALID_CURSOR" });
    await store.close();
  });

  it("runs limited jobs as an ACL user limited to the documented commands", async () => {
    await admin.call("ACL", "SETUSER", "caudex-limits", "reset", "on", ">s3cret", ...REDIS_ACL_RULES);
    const { store } = await fresh(server.url.replace("redis://", "redis://caudex-limits:s3cret@"));
    await declare(store, 1);
    await store.upsertLimit({ name: "per-project", key: "A", concurrency: 2, rate: { limit: 10, periodMs: 1000, burst: 1 }, source: "operator" });
    const jobs = [tenant("A"), tenant("A"), tenant("B")];
    await store.enqueue(jobs);
    await store.cancel(jobs[1]?.id ?? "");
    const claimed = await claim(store);
    expect(claimed.map((j) => j.id).sort()).toEqual([jobs[0]?.id, jobs[2]?.id].sort());
    for (const job of claimed) await store.fail({ jobId: job.id, token: job.leaseToken, error: { code: "TASK_ERROR", message: "429" }, retryDelayMs: 0, postpone: true });
    expect((await store.listLimits(10, null)).limits.map((l) => [l.key, l.waiting])).toEqual([["A", 1], ["B", 1]]);
    await store.removeLimit("per-project", "A");
    expect(await store.getLimit("per-project", "A")).toMatchObject({ concurrency: 1, rate: null });
    await store.close();
  });
});
