// Schedules on Redis beyond the store contract: what a schedule's job stores and how its index
// follows the job's life, and what a maintenance tick costs among 10,000 schedules (read with
// INFO commandstats, scripts' inner calls included).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { newJob } from "../../../test/support/jobs.js";
import { fireRequest, newSchedule } from "../../../test/support/schedules.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { ManualClock } from "../../core/clock.js";
import type { JobEvent } from "../../core/events.js";
import { DEFAULT_MAINTENANCE, runMaintenance } from "../../core/maintenance.js";
import { fireIdempotencyKey } from "../../core/schedule.js";
import { jobForFire } from "../../core/schedule-firing.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();
let server: RedisServer;
let admin: Redis;
let n = 0;

const connect = (clock?: ManualClock, namespace = `schedules-${n++}`) => RedisStore.connect({ url: server.url, namespace, ...(clock === undefined ? {} : { clock }) });

/** Commands the server ran since the last RESETSTAT, by name (the measuring connection's own left out). */
async function commands(): Promise<Record<string, number>> {
  const byCommand: Record<string, number> = {};
  for (const m of (await admin.info("commandstats")).matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) byCommand[m[1] ?? ""] = Number(m[2]);
  delete byCommand.info;
  delete byCommand["config|resetstat"];
  return byCommand;
}
const total = (byCommand: Record<string, number>) => Object.values(byCommand).reduce((a, b) => a + b, 0);

describe.skipIf(!available)("redis schedules", () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it("gives a schedule's job a hash with its schedule and fire time, never a packed entry, and claims it with them", async () => {
    const clock = new ManualClock();
    const store = await connect(clock);
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("hash"), now: clock.now(), nextFireAt: clock.now() + 60_000 });
      const plain = newJob();
      const [made] = await store.enqueue([jobForFire(schedule, 1234, null)]);
      await store.enqueue([plain]);
      const id = made?.job.id ?? "";
      expect(await admin.hmget(store.keys.job(id), "sid", "fire")).toEqual(["hash", "1234"]);
      expect(await admin.exists(store.keys.job(plain.id))).toBe(0);
      expect(await admin.zrange(store.keys.scheduleJobs("hash"), "0", "-1")).toEqual([id]);
      const claimed = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 2, leaseMs: 30_000 });
      expect(claimed.map((j) => [j.id, j.scheduleId, j.fireAt])).toEqual([[id, "hash", 1234], [plain.id, null, null]]);
    } finally {
      await store.close();
    }
  });

  it("keeps a schedule's job in its index until a removal, purge or prune deletes the job", async () => {
    const clock = new ManualClock();
    const store = await connect(clock);
    const index = store.keys.scheduleJobs("kept");
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("kept"), now: clock.now(), nextFireAt: clock.now() });
      const times = [1, 2, 3, 4].map((i) => clock.now() - 4000 + i * 1000);
      const { jobs } = await store.fireSchedule(fireRequest(schedule, times, clock.now() + 60_000));
      expect(await admin.zcard(index)).toBe(4);
      const [removed, purged, pruned] = jobs;
      await store.remove(removed?.id ?? "");
      await store.cancel(purged?.id ?? "");
      clock.advance(1);
      expect(await store.purge({ status: "CANCELED", finishedBefore: clock.now(), limit: 10 })).toBe(1);
      const claimed = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 });
      expect(claimed[0]?.id).toBe(pruned?.id);
      await store.complete({ jobId: pruned?.id ?? "", token: claimed[0]?.leaseToken ?? "" }, null);
      clock.advance(3_600_001);
      expect(await store.prune(10)).toBe(1);
      expect(await admin.zrange(index, "0", "-1")).toEqual([jobs[3]?.id]);
      const page = await store.listJobs({ scheduleId: "kept" }, 10, null);
      expect(page.jobs.map((j) => j.fireAt)).toEqual([times[3]]);
    } finally {
      await store.close();
    }
  });

  it("pages through one schedule's jobs newest first, and filters them by status", async () => {
    const clock = new ManualClock();
    const store = await connect(clock);
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("pages"), now: clock.now(), nextFireAt: clock.now() });
      const times = [1, 2, 3, 4, 5].map((i) => clock.now() - 6000 + i * 1000);
      const { jobs } = await store.fireSchedule(fireRequest(schedule, times, clock.now() + 60_000));
      await store.enqueue([newJob(), newJob({ meta: { projectId: "p" } })]);
      const first = await store.listJobs({ scheduleId: "pages" }, 2, null);
      const second = await store.listJobs({ scheduleId: "pages" }, 2, first.nextCursor);
      const third = await store.listJobs({ scheduleId: "pages" }, 2, second.nextCursor);
      expect([...first.jobs, ...second.jobs, ...third.jobs].map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
      expect(third.nextCursor).toBeNull();
      await store.cancel(jobs[1]?.id ?? "");
      expect((await store.listJobs({ scheduleId: "pages", status: "CANCELED" }, 10, null)).jobs.map((j) => j.id)).toEqual([jobs[1]?.id]);
    } finally {
      await store.close();
    }
  });

  it("announces a fire's jobs as an enqueue does: a waiting worker wakes, watchers get job:enqueued", async () => {
    const clock = new ManualClock();
    const store = await connect(clock);
    const seen: JobEvent[] = [];
    const unwatch = await store.watch((event) => seen.push(event));
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("loud"), now: clock.now(), nextFireAt: clock.now() });
      const waiting = store.waitForWork(["default"], 5000, new AbortController().signal);
      const started = Date.now();
      const { jobs } = await store.fireSchedule(fireRequest(schedule, [clock.now()], clock.now() + 60_000));
      await waiting;
      expect(Date.now() - started).toBeLessThan(2000);
      await waitFor(() => seen.some((e) => e.jobId === jobs[0]?.id && e.type === "job:enqueued"), { what: "the fired job's event" });
    } finally {
      await unwatch();
      await store.close();
    }
  });

  it("moves the last job only when a fire or trigger made one: a key that found its job makes none", async () => {
    const clock = new ManualClock();
    const store = await connect(clock);
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("keys"), now: clock.now(), nextFireAt: clock.now() });
      const [earlier] = await store.enqueue([jobForFire(schedule, clock.now(), fireIdempotencyKey("keys", clock.now()))]);
      const fired = await store.fireSchedule(fireRequest(schedule, [clock.now()], clock.now() + 60_000));
      expect(fired).toEqual({ fired: true, jobs: [], skipped: 0 });
      expect((await store.getSchedule("keys"))?.lastJobId).toBeNull();
      const triggered = await store.triggerSchedule("keys", jobForFire(schedule, clock.now(), fireIdempotencyKey("keys", clock.now())));
      expect(triggered.id).toBe(earlier?.job.id);
      expect((await store.getSchedule("keys"))?.lastJobId).toBeNull();
    } finally {
      await store.close();
    }
  });

  it("refuses a listing cursor that no schedule id could be", async () => {
    const store = await connect(new ManualClock());
    try {
      for (const cursor of ["", "x".repeat(129), "a\u0000b", "-bad"]) await expect(store.listSchedules(10, cursor)).rejects.toMatchObject({ code: "INVALID_CURSOR" });
    } finally {
      await store.close();
    }
  });

  it("costs an idle maintenance tick the same among 10,000 schedules as with none, and fires the few due ones", async () => {
    const namespace = `schedules-cost-${n++}`;
    const loader = await connect(undefined, namespace);
    const bare = await connect();
    try {
      const now = await loader.now();
      for (let i = 0; i < 10_000; i += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => loader.upsertSchedule({ schedule: newSchedule(`yearly-${i + j}`), now, nextFireAt: now + 365 * 86_400_000 })),
        );
      }
      for (const id of ["due-0", "due-1", "due-2"]) await loader.upsertSchedule({ schedule: newSchedule(id), now: now - 1000, nextFireAt: now - 500 });
      // Each tick by a store of its own: it takes the maintenance window afresh.
      const tick = async (namespaceOf: string) => {
        const store = await connect(undefined, namespaceOf);
        try {
          await admin.del(store.keys.maintenanceTick());
          await admin.config("RESETSTAT");
          const report = await runMaintenance(store, DEFAULT_MAINTENANCE);
          return { report, byCommand: await commands() };
        } finally {
          await store.close();
        }
      };
      const firing = await tick(namespace);
      expect(firing.report.fired).toBe(3);
      const idle = await tick(namespace);
      const without = await tick(bare.keys.namespace);
      console.log(`maintenance tick, 10,000 schedules: ${total(firing.byCommand)} commands firing 3, ${total(idle.byCommand)} idle; no schedules: ${total(without.byCommand)}`, {
        firing: firing.byCommand,
        idle: idle.byCommand,
        without: without.byCommand,
      });
      expect(idle.report.fired).toBe(0);
      // The due index's ZRANGEBYSCORE costs the same whether it holds 10,000 schedules or none.
      expect(idle.byCommand).toEqual(without.byCommand);
      expect(total(idle.byCommand)).toBeLessThanOrEqual(8);
      expect(total(firing.byCommand) - total(idle.byCommand)).toBeLessThanOrEqual(3 * 20);
    } finally {
      await loader.close();
      await bare.close();
    }
  }, 60_000);
});
