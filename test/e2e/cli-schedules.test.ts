// `caudex schedules` through the real binary on one SQLite file: upsert, list, next fire
// times, trigger (a job that carries the schedule), and exit 2 with the core's code on a
// definition it refuses.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { buildCli, json, runCli, startCli, type CliProcess, type JobJson } from "../support/cli.js";
import { waitFor } from "../support/wait-for.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const SCHEDULED_TASKS = join(import.meta.dirname, "../fixtures/cli-schedule-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-schedules-"));
const db = join(dir, "caudex.db");
const running: CliProcess[] = [];

beforeAll(buildCli, 120_000);
afterAll(() => {
  for (const child of running) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

describe("caudex schedules", () => {
  it("upserts a schedule, lists it, shows its next fire times and triggers it", async () => {
    const created = await caudex("schedules", "upsert", "morning", "--task", "quick", "--cron", "0 9 * * MON-FRI", "--tz", "Europe/Paris", "--payload", '{"n":2}', "--json");
    expect(created.code, created.stderr).toBe(0);
    expect(json(created)).toMatchObject({ schedule_id: "morning", cron: "0 9 * * MON-FRI", tz: "Europe/Paris", payload: { n: 2 }, outcome: "created" });
    const again = await caudex("schedules", "upsert", "morning", "--task", "quick", "--cron", "0 9 * * MON-FRI", "--tz", "Europe/Paris", "--payload", '{"n":2}');
    expect(again.stdout).toContain("Schedule morning unchanged");

    const table = await caudex("schedules");
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TASK\s+TIMING\s+TZ\s+NEXT FIRE\s+LAST FIRE\s+LAST JOB\s+PAUSED/);
    expect(table.stdout).toMatch(/morning\s+quick\s+cron 0 9 \* \* MON-FRI\s+Europe\/Paris/);

    const next = json<{ fire_times: string[] }>(await caudex("schedules", "next", "morning", "--count", "3", "--json"));
    expect(next.fire_times).toHaveLength(3);
    // 09:00 in Paris is 07:00 or 08:00 UTC, on a weekday.
    for (const at of next.fire_times.map((t) => new Date(t))) {
      expect([7, 8]).toContain(at.getUTCHours());
      expect([0, 6]).not.toContain(at.getUTCDay());
    }
    expect((await caudex("schedules", "next", "morning", "--count", "2")).stdout).toMatch(/09:00:00 Europe\/Paris/);

    const job = json<JobJson>(await caudex("schedules", "trigger", "morning", "--json"));
    expect(job).toMatchObject({ task: "quick", status: "QUEUED", schedule_id: "morning", payload: { n: 2 } });
    const listed = json<{ jobs: JobJson[] }>(await caudex("jobs", "--schedule", "morning", "--json"));
    expect(listed.jobs.map((j) => j.job_id)).toEqual([job.job_id]);
    expect(json(await caudex("schedules", "show", "morning", "--json"))).toMatchObject({ last_job: { job_id: job.job_id, status: "QUEUED" } });
  });

  it("exits 2 with the core's code on a bad definition and stores nothing; 1 for an unknown schedule", async () => {
    const badCron = await caudex("schedules", "upsert", "broken", "--task", "quick", "--cron", "61 * * * *", "--json");
    expect(badCron.code).toBe(2);
    expect(JSON.parse(badCron.stderr)).toMatchObject({ error: { code: "INVALID_SCHEDULE" } });
    const unknownTask = await caudex("schedules", "upsert", "broken", "--task", "nope", "--every", "5m", "--tasks", TASKS);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toContain("(UNKNOWN_TASK)");
    expect((await caudex("schedules", "upsert", "broken", "--task", "quick", "--every", "5m", "--catch-up", "often")).code).toBe(2);
    const missing = await caudex("schedules", "show", "broken", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "SCHEDULE_NOT_FOUND" } });
    expect((await caudex("schedules", "bogus")).code).toBe(2);
  });

  it("upserts the schedules a tasks module declares: a worker as it starts, the server too, which then fires them", async () => {
    const workerDb = join(dir, "worker.db");
    const worker = await runCli(["worker", "--tasks", SCHEDULED_TASKS, "--burst", "--db", workerDb]);
    expect(worker.code, worker.stderr).toBe(0);
    expect(json<{ schedules: Array<{ schedule_id: string; every: number }> }>(await runCli(["schedules", "--json", "--db", workerDb])).schedules).toMatchObject([{ schedule_id: "every-second", every: 1 }]);

    const serveDb = join(dir, "serve.db");
    const server = startCli(["serve", "--tasks", SCHEDULED_TASKS, "--db", serveDb, "--no-auth", "--host", "127.0.0.1", "--port", "0"]);
    running.push(server);
    await server.waitForOutput(/serving the API/);
    expect(server.stderr() + server.stdout()).toContain("schedule created");
    const client = new Client({ store: new SqliteStore({ path: serveDb }) });
    try {
      const fired = await waitFor(async () => (await client.listJobs({ scheduleId: "every-second" })).jobs[0] ?? null, { timeoutMs: 10_000, what: "a fire by the server" });
      expect(fired).toMatchObject({ task: "ping", scheduleId: "every-second" });
      expect(fired.fireAt).not.toBeNull();
    } finally {
      await client.close();
    }
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 60_000);
});
