// Query plans of the schedule reads that run often (every process's maintenance tick asks for
// due schedules each second; the dashboard lists one schedule's jobs), and edges of the schedule
// operations that the shared contract (test/store-contract-schedules.ts) does not reach.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fireRequest, newSchedule } from "../../../test/support/schedules.js";
import { ManualClock } from "../../core/clock.js";
import { migrate } from "./migrate.js";
import { SQL } from "./sql-statements.js";
import { SqliteStore } from "./sqlite-store.js";

let db: Database.Database;

function planOf(sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail).join(" | ");
}

beforeEach(() => {
  db = new Database(":memory:");
  migrate(db);
  // 10,000 schedules: one in ten paused, the others due one second apart from t = 1,000,000.
  const insert = db.prepare(`INSERT INTO schedules (id, definition, timing, paused, next_fire_at, anchor_at, created_at, updated_at)
    VALUES (?, '{}', '{}', ?, ?, 0, 0, 0)`);
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++) insert.run(`s${String(i).padStart(5, "0")}`, i % 10 === 0 ? 1 : 0, i % 10 === 0 ? null : 1_000_000 + i * 1000);
  })();
});

afterEach(() => db.close());

describe("sqlite schedule query plans", () => {
  it("finds due schedules by a range of the partial index schedules_due, already in order", () => {
    const plan = planOf(SQL.dueSchedules, 1_005_000, 100);
    expect(plan).toBe("SEARCH schedules USING INDEX schedules_due (next_fire_at<?)");
    const due = db.prepare(SQL.dueSchedules).pluck().all(1_005_000, 100);
    expect(due).toEqual(["s00001", "s00002", "s00003", "s00004", "s00005"]);
  });

  it("keeps that plan once ANALYZE has measured the table", () => {
    db.exec("ANALYZE");
    expect(planOf(SQL.dueSchedules, 1_005_000, 100)).toBe("SEARCH schedules USING INDEX schedules_due (next_fire_at<?)");
  });

  it("lists schedules by a range of their primary key", () => {
    expect(planOf(SQL.schedulesAfter, "s00005", 10)).toBe("SEARCH schedules USING INDEX sqlite_autoindex_schedules_1 (id>?)");
  });

  it("lists one schedule's jobs newest first from the index jobs_schedule, without a sort", () => {
    // The text listJobs builds for a scheduleId filter, on the first page and on the next ones.
    expect(planOf("SELECT * FROM jobs WHERE schedule_id = ? ORDER BY id DESC LIMIT ?", "s00001", 10)).toBe("SEARCH jobs USING INDEX jobs_schedule (schedule_id=?)");
    expect(planOf("SELECT * FROM jobs WHERE schedule_id = ? AND id < ? ORDER BY id DESC LIMIT ?", "s00001", "job_Z", 10)).toBe(
      "SEARCH jobs USING INDEX jobs_schedule (schedule_id=? AND id<?)",
    );
  });
});

describe("sqlite schedule edges", () => {
  it("refuses a listing cursor that no schedule id could be, listing nothing", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    try {
      for (const cursor of ["", "x".repeat(257), "a\u0000b"]) await expect(store.listSchedules(10, cursor)).rejects.toMatchObject({ code: "INVALID_CURSOR" });
      expect(await store.listSchedules(10, "zzz")).toEqual({ schedules: [], nextCursor: null });
    } finally {
      await store.close();
    }
  });

  it("retimes a paused schedule without giving it a next fire, and never fires it while paused", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new SqliteStore({ path: ":memory:", clock });
    try {
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("quiet"), now: clock.now(), nextFireAt: clock.now() });
      await store.pauseSchedule("quiet");
      expect(await store.fireSchedule(fireRequest(schedule, [clock.now()], clock.now() + 60_000))).toEqual({ fired: false, jobs: [], skipped: 0 });
      const retimed = await store.upsertSchedule({ schedule: newSchedule("quiet", { timing: { cron: null, tz: "UTC", everyMs: 5000 } }), now: clock.now() + 7, nextFireAt: clock.now() + 5007 });
      expect(retimed).toMatchObject({ outcome: "retimed", schedule: { paused: true, nextFireAt: null, anchorAt: clock.now() + 7 } });
    } finally {
      await store.close();
    }
  });

  it("lets a fire through under overlap skip once the last job is gone", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new SqliteStore({ path: ":memory:", clock });
    try {
      const start = clock.now();
      const { schedule } = await store.upsertSchedule({ schedule: newSchedule("lean", { overlap: "skip" }), now: start, nextFireAt: start });
      const first = await store.fireSchedule(fireRequest(schedule, [start], start + 1000));
      await store.remove(first.jobs[0]?.id ?? "");
      const second = await store.fireSchedule(fireRequest((await store.getSchedule("lean"))!, [start + 1000], start + 2000));
      expect(second).toMatchObject({ fired: true, skipped: 0 });
      expect(second.jobs.map((j) => j.fireAt)).toEqual([start + 1000]);
    } finally {
      await store.close();
    }
  });
});
