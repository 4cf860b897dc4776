// The schedule routes through app.inject() on a real SQLite store: upserts and their outcomes,
// refused definitions (nothing stored), listing, pause/resume, trigger, next fire times, 404s.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, createTestServer, type TestServer } from "../../../test/support/server.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface ScheduleJson {
  schedule_id: string;
  every: number | null;
  cron: string | null;
  tz: string;
  paused: boolean;
  next_fire_at: string | null;
  last_fire_at: string | null;
  last_job: { job_id: string; status: string | null } | null;
  outcome?: string;
  [field: string]: unknown;
}

describe("schedule routes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer({ withTasks: true });
  });
  afterEach(async () => {
    await server.close();
  });

  const send = (method: "GET" | "PUT" | "POST" | "DELETE", url: string, payload?: object) =>
    server.app.inject({ method, url, headers: FULL, ...(payload === undefined ? {} : { payload }) });
  const put = (id: string, body: object) => send("PUT", `/schedules/${id}`, body);
  const stored = async () => (await server.client.schedules.list()).schedules.map((s) => s.id);
  const codeOf = (res: { json: <T>() => T }) => res.json<{ error: { code: string } }>().error.code;

  it("creates a schedule (201), then answers 200 unchanged, updated or retimed", async () => {
    const body = { task: "echo", payload: { value: 1 }, every: "5m", queue: "high", timeout: 30, max_attempts: 2, meta: { project_id: "p1" }, catch_up: { backfill: 3 }, overlap: "skip" };
    const created = await put("digest", body);
    expect(created.statusCode).toBe(201);
    const view = created.json<ScheduleJson>();
    expect(view).toMatchObject({
      schedule_id: "digest", task: "echo", payload: { value: 1 }, cron: null, tz: "UTC", every: 300, queue: "high", timeout: 30, max_attempts: 2,
      meta: { project_id: "p1" }, catch_up: { backfill: 3 }, overlap: "skip", paused: false, last_fire_at: null, last_job: null, outcome: "created",
    });
    expect(view.next_fire_at).toMatch(ISO);
    expect(view.created_at).toMatch(ISO);

    const again = await put("digest", body);
    expect(again.statusCode).toBe(200);
    expect(again.json<ScheduleJson>()).toMatchObject({ outcome: "unchanged", next_fire_at: view.next_fire_at });
    expect((await put("digest", { ...body, payload: { value: 2 } })).json<ScheduleJson>()).toMatchObject({ outcome: "updated", payload: { value: 2 } });
    const retimed = (await put("digest", { ...body, payload: { value: 2 }, every: undefined, cron: "0 9 * * MON-FRI", tz: "Europe/Paris" })).json<ScheduleJson>();
    expect(retimed).toMatchObject({ outcome: "retimed", cron: "0 9 * * MON-FRI", tz: "Europe/Paris", every: null });
    expect(await stored()).toEqual(["digest"]);
  });

  it("refuses a bad cron, zone or interval with 400 INVALID_SCHEDULE and stores nothing", async () => {
    for (const body of [
      { task: "echo", cron: "61 * * * *" },
      { task: "echo", cron: "not a cron" },
      { task: "echo", cron: "0 9 * * *", tz: "Mars/Olympus_Mons" },
      { task: "echo", every: "0s" },
      { task: "echo", every: "soon" },
      { task: "echo", every: 0.5 },
      { task: "echo", every: "1m", cron: "* * * * *" },
      { task: "echo" },
      { task: "echo", every: "1m", catch_up: { backfill: 0 } },
    ]) {
      const res = await put("bad", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res), JSON.stringify(body)).toBe("INVALID_SCHEDULE");
    }
    expect(codeOf(await put("bad id!", { task: "echo", every: "1m" }))).toBe("INVALID_SCHEDULE");
    expect(await stored()).toEqual([]);
  });

  it("refuses an unknown task, a payload the task's schema rejects, and malformed bodies, storing nothing", async () => {
    expect(codeOf(await put("a", { task: "no_such_task", every: "1m" }))).toBe("UNKNOWN_TASK");
    expect(codeOf(await put("b", { task: "validated", payload: { n: "one" }, every: "1m" }))).toBe("INVALID_PAYLOAD");
    for (const body of [{ every: "1m" }, { task: "echo", every: "1m", priority: 1 }, { task: "echo", every: "1m", overlap: "sometimes" }, { task: "echo", every: true }]) {
      const res = await put("c", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res)).toBe("BAD_REQUEST");
    }
    expect(await stored()).toEqual([]);
  });

  it("lists schedules in id order, page by page", async () => {
    for (const id of ["c", "a", "b"]) expect((await put(id, { task: "echo", every: 60 })).statusCode).toBe(201);
    const first = (await send("GET", "/schedules?limit=2")).json<{ schedules: ScheduleJson[]; next_cursor: string | null }>();
    expect(first.schedules.map((s) => s.schedule_id)).toEqual(["a", "b"]);
    expect(first.next_cursor).not.toBeNull();
    const second = (await send("GET", `/schedules?limit=2&cursor=${encodeURIComponent(first.next_cursor ?? "")}`)).json<{ schedules: ScheduleJson[]; next_cursor: string | null }>();
    expect(second).toMatchObject({ schedules: [{ schedule_id: "c", every: 60, catch_up: "latest", overlap: "allow", payload: {} }], next_cursor: null });
  });

  it("pauses and resumes a schedule", async () => {
    await put("tick", { task: "echo", every: "1h" });
    const paused = (await send("POST", "/schedules/tick/pause")).json<ScheduleJson>();
    expect(paused).toMatchObject({ paused: true, next_fire_at: null });
    expect((await send("GET", "/schedules/tick")).json<ScheduleJson>().paused).toBe(true);
    const resumed = (await send("POST", "/schedules/tick/resume")).json<ScheduleJson>();
    expect(resumed.paused).toBe(false);
    expect(resumed.next_fire_at).toMatch(ISO);
  });

  it("triggers a job that carries the schedule, shows it as the last job, and filters GET /jobs by schedule", async () => {
    await put("tick", { task: "echo", payload: { value: "t" }, every: "1h" });
    await server.client.enqueue("echo", null);
    const res = await send("POST", "/schedules/tick/trigger");
    expect(res.statusCode).toBe(201);
    const job = res.json<{ job_id: string; status: string; schedule_id: string; fire_at: string; payload: unknown }>();
    expect(job).toMatchObject({ status: "QUEUED", schedule_id: "tick", payload: { value: "t" } });
    expect(job.fire_at).toMatch(ISO);
    expect((await send("GET", "/schedules/tick")).json<ScheduleJson>().last_job).toEqual({ job_id: job.job_id, status: "QUEUED" });
    const listed = (await send("GET", "/jobs?schedule_id=tick")).json<{ jobs: Array<{ job_id: string }> }>();
    expect(listed.jobs.map((j) => j.job_id)).toEqual([job.job_id]);
    // The job outlives the schedule; the schedule's view would show it as pruned once it is gone.
    expect((await send("DELETE", "/schedules/tick")).statusCode).toBe(204);
    expect((await send("GET", `/jobs/${job.job_id}`)).json<{ schedule_id: string }>().schedule_id).toBe("tick");
  });

  it("lists the next fire times, count at most 100", async () => {
    await put("tick", { task: "echo", every: "90s" });
    const { fire_times: times } = (await send("GET", "/schedules/tick/next?count=3")).json<{ fire_times: string[] }>();
    expect(times).toHaveLength(3);
    const ms = times.map((t) => Date.parse(t));
    expect([(ms[1] ?? 0) - (ms[0] ?? 0), (ms[2] ?? 0) - (ms[1] ?? 0)]).toEqual([90_000, 90_000]);
    expect((await send("GET", "/schedules/tick/next")).json<{ fire_times: string[] }>().fire_times).toHaveLength(10);
    expect(codeOf(await send("GET", "/schedules/tick/next?count=101"))).toBe("BAD_REQUEST");
  });

  it("answers 404 SCHEDULE_NOT_FOUND for a schedule that does not exist", async () => {
    for (const [method, url] of [
      ["GET", "/schedules/nope"], ["GET", "/schedules/nope/next"], ["DELETE", "/schedules/nope"], ["POST", "/schedules/nope/pause"],
      ["POST", "/schedules/nope/resume"], ["POST", "/schedules/nope/trigger"], ["GET", "/schedules/bad%20id"],
    ] as const) {
      const res = await send(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(codeOf(res)).toBe("SCHEDULE_NOT_FOUND");
    }
  });
});
