// The store contract for schedules: upserts, reads, pause and resume, and the compare-and-set
// fire that makes one job per fire time. describeStoreContract runs it for every store.
import { expect } from "vitest";
import type { ManualClock } from "../src/core/clock.js";
import { fireIdempotencyKey } from "../src/core/schedule.js";
import { jobForFire } from "../src/core/schedule-firing.js";
import type { Store } from "../src/core/store.js";
import { fireRequest, newSchedule } from "./support/schedules.js";

/** What a schedule case gets: the store under test and its clock. */
export interface ScheduleCaseContext {
  store(): Store;
  clock(): ManualClock;
  /** A second connection to the same data, or null when the store has none. */
  peer(): Promise<Store | null>;
}

type Case = (name: string, fn: () => Promise<void>) => void;

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/** Declares the schedule cases with the suite's own `test`, so skip lists and assertion checks apply. */
export function scheduleContractCases(test: Case, ctx: ScheduleCaseContext): void {
  const upsert = (id: string, nextFireAt: number, overrides: Parameters<typeof newSchedule>[1] = {}) =>
    ctx.store().upsertSchedule({ schedule: newSchedule(id, overrides), now: ctx.clock().now(), nextFireAt });

  test("creates a schedule once when several processes upsert the same definition at once", async () => {
    const now = ctx.clock().now();
    const peer = await ctx.peer();
    const stores = peer === null ? [ctx.store()] : [ctx.store(), peer];
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => (stores[i % stores.length] as Store).upsertSchedule({ schedule: newSchedule("nightly"), now, nextFireAt: now + 60_000 })));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["created", "unchanged", "unchanged", "unchanged", "unchanged", "unchanged"]);
    const stored = await ctx.store().getSchedule("nightly");
    expect(stored).toMatchObject({ id: "nightly", paused: false, nextFireAt: now + 60_000, lastFireAt: null, lastJobId: null, anchorAt: now, createdAt: now });
    expect(stored?.job.payload).toEqual({ from: "nightly" });
    expect(stored?.timing).toEqual({ cron: null, tz: "UTC", everyMs: 60_000 });
    expect(await ctx.store().getSchedule("missing")).toBeNull();
  });

  test("keeps the last fire on an identical upsert, the timing on a changed job, and restarts a changed timing from now", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    const { schedule } = await upsert("hourly", start + 60_000);
    clock.advance(60_000);
    expect((await ctx.store().fireSchedule(fireRequest(schedule, [start + 60_000], start + 120_000))).fired).toBe(true);
    clock.advance(5_000);
    const same = await upsert("hourly", clock.now() + 60_000);
    expect(same.outcome).toBe("unchanged");
    expect(same.schedule).toMatchObject({ nextFireAt: start + 120_000, lastFireAt: start + 60_000, anchorAt: start });
    const changedJob = await upsert("hourly", clock.now() + 60_000, { overlap: "skip" });
    expect(changedJob.outcome).toBe("updated");
    expect(changedJob.schedule).toMatchObject({ overlap: "skip", nextFireAt: start + 120_000, lastFireAt: start + 60_000, anchorAt: start, updatedAt: clock.now() });
    const retimed = await upsert("hourly", clock.now() + 30_000, { timing: { cron: null, tz: "UTC", everyMs: 30_000 }, overlap: "skip" });
    expect(retimed.outcome).toBe("retimed");
    expect(retimed.schedule).toMatchObject({ nextFireAt: clock.now() + 30_000, anchorAt: clock.now(), lastFireAt: start + 60_000 });
  });

  test("fires a due schedule once: a second fire for the same time changes nothing", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    const { schedule } = await upsert("sync", start + 1000);
    clock.advance(1000);
    const request = fireRequest(schedule, [start + 1000], start + 61_000);
    const peer = await ctx.peer();
    const results = await Promise.all([ctx.store().fireSchedule(request), (peer ?? ctx.store()).fireSchedule(fireRequest(schedule, [start + 1000], start + 61_000))]);
    expect(results.map((r) => r.fired).sort()).toEqual([false, true]);
    const winner = results.find((r) => r.fired);
    expect(winner?.jobs).toHaveLength(1);
    const job = winner?.jobs[0];
    expect(job).toMatchObject({ status: "QUEUED", task: "noop", payload: { from: "sync" }, scheduleId: "sync", fireAt: start + 1000, idempotencyKey: fireIdempotencyKey("sync", start + 1000) });
    expect(await ctx.store().getJob(job?.id ?? "")).toMatchObject({ scheduleId: "sync", fireAt: start + 1000 });
    expect(await ctx.store().getSchedule("sync")).toMatchObject({ nextFireAt: start + 61_000, lastFireAt: start + 1000, lastJobId: job?.id });
    const again = await ctx.store().fireSchedule(request);
    expect(again).toEqual({ fired: false, jobs: [], skipped: 0 });
    expect((await ctx.store().listJobs({ scheduleId: "sync" }, 10, null)).jobs).toHaveLength(1);
  });

  test("refuses a fire whose definition changed since it was read", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("changed", start);
    await upsert("changed", start, { overlap: "skip" });
    const result = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 60_000));
    expect(result.fired).toBe(false);
    expect((await ctx.store().getSchedule("changed"))?.lastFireAt).toBeNull();
  });

  test("refuses a fire whose timing changed since it was read", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("retimed", start);
    await upsert("retimed", start, { timing: { cron: "0 * * * *", tz: "UTC", everyMs: null } });
    const result = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 60_000));
    expect(result.fired).toBe(false);
    expect((await ctx.store().listJobs({ scheduleId: "retimed" }, 10, null)).jobs).toEqual([]);
  });

  test("makes no second job for a fire time that already has one, even after remove and re-add", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("again", start);
    expect((await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 60_000))).jobs).toHaveLength(1);
    await ctx.store().removeSchedule("again");
    const readded = await upsert("again", start);
    expect(readded.outcome).toBe("created");
    expect(readded.schedule.lastFireAt).toBeNull();
    const second = await ctx.store().fireSchedule(fireRequest(readded.schedule, [start], start + 60_000));
    expect(second.fired).toBe(true);
    expect(second.jobs).toEqual([]);
    expect((await ctx.store().listJobs({ scheduleId: "again" }, 10, null)).jobs).toHaveLength(1);
  });

  test("answers due schedules only, soonest first, not paused, up to the limit", async () => {
    const start = ctx.clock().now();
    await upsert("c", start - 1000);
    await upsert("a", start - 3000);
    await upsert("b", start - 2000);
    await upsert("later", start + 5000);
    await upsert("paused", start - 9000);
    await ctx.store().pauseSchedule("paused");
    const due = await ctx.store().dueSchedules(10);
    expect(due.now).toBe(start);
    expect(due.schedules.map((s) => s.id)).toEqual(["a", "b", "c"]);
    expect((await ctx.store().dueSchedules(2)).schedules.map((s) => s.id)).toEqual(["a", "b"]);
    ctx.clock().advance(5000);
    expect((await ctx.store().dueSchedules(10)).schedules.map((s) => s.id)).toEqual(["a", "b", "c", "later"]);
  });

  test("pauses a schedule (no next fire, never due) and resumes it from the time given", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    await upsert("digest", start + 1000);
    const paused = await ctx.store().pauseSchedule("digest");
    expect(paused).toMatchObject({ paused: true, nextFireAt: null });
    expect(await ctx.store().pauseSchedule("digest")).toMatchObject({ paused: true, nextFireAt: null });
    clock.advance(3_600_000);
    expect((await ctx.store().dueSchedules(10)).schedules).toEqual([]);
    const resumed = await ctx.store().resumeSchedule("digest", clock.now(), clock.now() + 60_000, paused.timingText);
    expect(resumed).toMatchObject({ paused: false, nextFireAt: clock.now() + 60_000, anchorAt: clock.now() });
    const again = await ctx.store().resumeSchedule("digest", clock.now() + 5, clock.now() + 99_000, paused.timingText);
    expect(again).toMatchObject({ paused: false, nextFireAt: clock.now() + 60_000 });
    await rejectsWith(ctx.store().pauseSchedule("missing"), "SCHEDULE_NOT_FOUND");
    await rejectsWith(ctx.store().resumeSchedule("missing", 0, 0, paused.timingText), "SCHEDULE_NOT_FOUND");
    await rejectsWith(ctx.store().removeSchedule("missing"), "SCHEDULE_NOT_FOUND");
  });

  test("keeps a schedule paused when its timing changed since the resume's fire time was computed", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    await upsert("yearly", start + 1000);
    const paused = await ctx.store().pauseSchedule("yearly");
    await upsert("yearly", start + 60_000, { timing: { cron: null, tz: "UTC", everyMs: 60_000 * 5 } });
    const stale = await ctx.store().resumeSchedule("yearly", clock.now(), start + 1000, paused.timingText);
    expect(stale).toMatchObject({ paused: true, nextFireAt: null });
    const fresh = await ctx.store().resumeSchedule("yearly", clock.now(), start + 300_000, stale.timingText);
    expect(fresh).toMatchObject({ paused: false, nextFireAt: start + 300_000 });
  });

  test("skips a fire while the previous job has not finished, under overlap skip", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    const { schedule } = await upsert("report", start, { overlap: "skip" });
    const first = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 1000));
    expect(first.jobs).toHaveLength(1);
    const second = await ctx.store().fireSchedule(fireRequest((await ctx.store().getSchedule("report"))!, [start + 1000], start + 2000));
    expect(second).toMatchObject({ fired: true, jobs: [], skipped: 1 });
    expect(await ctx.store().getSchedule("report")).toMatchObject({ lastFireAt: start + 1000, nextFireAt: start + 2000, lastJobId: first.jobs[0]?.id });
    const [claimed] = await ctx.store().claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 });
    await ctx.store().complete({ jobId: claimed?.id ?? "", token: claimed?.leaseToken ?? "" }, null);
    const third = await ctx.store().fireSchedule(fireRequest((await ctx.store().getSchedule("report"))!, [start + 2000, start + 3000], start + 4000));
    expect(third).toMatchObject({ fired: true, skipped: 1 });
    expect(third.jobs.map((j) => j.fireAt)).toEqual([start + 3000]);
  });

  test("fires while the previous job runs but not while it waits, under overlap one_waiting", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("import", start, { overlap: "one_waiting" });
    const first = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 1000));
    expect(first.jobs).toHaveLength(1);
    const waiting = await ctx.store().fireSchedule(fireRequest((await ctx.store().getSchedule("import"))!, [start + 1000], start + 2000));
    expect(waiting).toMatchObject({ jobs: [], skipped: 1 });
    await ctx.store().claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 });
    const running = await ctx.store().fireSchedule(fireRequest((await ctx.store().getSchedule("import"))!, [start + 2000], start + 3000));
    expect(running.jobs.map((j) => j.fireAt)).toEqual([start + 2000]);
  });

  test("triggers a job now without moving the fire times", async () => {
    const clock = ctx.clock();
    const start = clock.now();
    const { schedule } = await upsert("manual", start + 60_000);
    clock.advance(10);
    const job = await ctx.store().triggerSchedule("manual", jobForFire(schedule, clock.now(), null));
    expect(job).toMatchObject({ status: "QUEUED", scheduleId: "manual", fireAt: clock.now(), idempotencyKey: null });
    expect(await ctx.store().getSchedule("manual")).toMatchObject({ nextFireAt: start + 60_000, lastFireAt: null, lastJobId: job.id });
    await rejectsWith(ctx.store().triggerSchedule("missing", jobForFire(schedule, clock.now(), null)), "SCHEDULE_NOT_FOUND");
  });

  test("removes a schedule and keeps the jobs it made", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("gone", start);
    const fired = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 60_000));
    await ctx.store().removeSchedule("gone");
    expect(await ctx.store().getSchedule("gone")).toBeNull();
    ctx.clock().advance(3_600_000);
    expect((await ctx.store().dueSchedules(10)).schedules).toEqual([]);
    expect(await ctx.store().getJob(fired.jobs[0]?.id ?? "")).toMatchObject({ scheduleId: "gone" });
  });

  test("counts schedules, paused ones and running ones due before a time", async () => {
    const start = ctx.clock().now();
    expect(await ctx.store().scheduleCounts(start)).toEqual({ total: 0, paused: 0, overdue: 0 });
    await upsert("late", start - 60_000);
    await upsert("soon", start + 60_000);
    await upsert("stopped", start - 60_000);
    await ctx.store().pauseSchedule("stopped");
    expect(await ctx.store().scheduleCounts(start - 30_000)).toEqual({ total: 3, paused: 1, overdue: 1 });
    expect(await ctx.store().scheduleCounts(start + 60_000)).toEqual({ total: 3, paused: 1, overdue: 2 });
  });

  test("lists schedules in id order, a page at a time", async () => {
    const start = ctx.clock().now();
    for (const id of ["m", "b", "x", "a", "k"]) await upsert(id, start + 1000);
    const first = await ctx.store().listSchedules(2, null);
    expect(first.schedules.map((s) => s.id)).toEqual(["a", "b"]);
    const second = await ctx.store().listSchedules(2, first.nextCursor);
    expect(second.schedules.map((s) => s.id)).toEqual(["k", "m"]);
    const last = await ctx.store().listSchedules(2, second.nextCursor);
    expect(last.schedules.map((s) => s.id)).toEqual(["x"]);
    expect(last.nextCursor).toBeNull();
  });

  test("lists the jobs of one schedule, newest first", async () => {
    const start = ctx.clock().now();
    const { schedule } = await upsert("lister", start);
    await ctx.store().enqueue([jobForFire(schedule, start - 5, null)]);
    const fired = await ctx.store().fireSchedule(fireRequest(schedule, [start], start + 60_000));
    await upsert("other", start);
    const other = (await ctx.store().getSchedule("other"))!;
    await ctx.store().fireSchedule(fireRequest(other, [start], start + 60_000));
    const page = await ctx.store().listJobs({ scheduleId: "lister" }, 10, null);
    expect(page.jobs.map((j) => j.scheduleId)).toEqual(["lister", "lister"]);
    expect(page.jobs[0]?.id).toBe(fired.jobs[0]?.id);
    expect((await ctx.store().listJobs({ scheduleId: "lister", status: "COMPLETED" }, 10, null)).jobs).toEqual([]);
  });
}
