// The operator's commands through the real binary on one SQLite file: tables for people,
// valid JSON for scripts, exit codes, and the warning about queues no worker listens on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/core/job.js";
import { buildCli, json, runCli } from "../support/cli.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-operator-"));
const db = join(dir, "caudex.db");

beforeAll(buildCli, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

async function enqueue(task: string, ...args: string[]): Promise<Job> {
  const result = await caudex("enqueue", task, "--json", ...args);
  expect(result.code, result.stderr).toBe(0);
  return json<Job>(result);
}

async function drain(): Promise<void> {
  const result = await caudex("worker", "--tasks", TASKS, "--burst", "--queues", "high,default");
  expect(result.code, result.stderr).toBe(0);
}

describe("caudex operator commands", () => {
  let done: Job;
  let failed: Job;
  let waiting: Job;

  beforeAll(async () => {
    done = await enqueue("quick", "--payload", '{"n":1}');
    // With --tasks, the task's own options apply: "fail" has a single attempt.
    failed = await enqueue("fail", "--tasks", TASKS);
    await enqueue("fail", "--max-attempts", "1");
    waiting = await enqueue("quick", "--queue", "reports", "--timeout", "90s");
    await drain();
  }, 60_000);

  it("shows one job as a table of fields and as JSON, and exits 1 for an unknown id", async () => {
    const human = await caudex("job", done.id);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/status:\s+COMPLETED/);
    expect(human.stdout).toContain('result:');
    const data = json<Job>(await caudex("job", failed.id, "--json"));
    expect(data.status).toBe("FAILED");
    expect(data.error?.message).toContain("failed on purpose");

    const missing = await caudex("job", "job_nope", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "JOB_NOT_FOUND" } });
  });

  it("lists jobs with filters, as a table and as JSON", async () => {
    const table = await caudex("jobs");
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TASK\s+QUEUE\s+STATUS/);
    expect(table.stdout).toContain(waiting.id);
    const failedOnly = json<{ jobs: Job[] }>(await caudex("jobs", "--status", "failed", "--json"));
    expect(failedOnly.jobs.map((j) => j.status)).toEqual(["FAILED", "FAILED"]);
    const reports = json<{ jobs: Job[] }>(await caudex("jobs", "--queue", "reports", "--task", "quick", "--limit", "5", "--json"));
    expect(reports.jobs.map((j) => j.id)).toEqual([waiting.id]);
    expect(reports.jobs[0]?.timeoutMs).toBe(90_000);
  });

  it("warns in stats and health when jobs wait on a queue no worker listens on", async () => {
    const stats = await caudex("stats");
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^QUEUE\s+QUEUED/);
    expect(stats.stdout).toContain('wait in queue "reports"');
    expect(stats.stdout).toContain("caudex worker --queues reports");
    const data = json<{ queues: Array<{ queue: string }>; alerts: Array<{ queue: string }> }>(await caudex("stats", "--json"));
    expect(data.alerts.map((a) => a.queue)).toEqual(["reports"]);

    const health = await caudex("health");
    expect(health.code).toBe(1);
    expect(health.stdout).toMatch(/status:\s+degraded/);
    expect(health.stdout).toContain('queue "reports"');
    expect(json<{ status: string }>(await caudex("health", "--json")).status).toBe("degraded");
  });

  it("lists workers, none when none runs", async () => {
    expect((await caudex("workers")).stdout).toContain("No live workers");
    expect(json<{ workers: unknown[] }>(await caudex("workers", "--json")).workers).toEqual([]);
  });

  it("cancels a waiting job, after which health is ok", async () => {
    const canceled = await caudex("cancel", waiting.id);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toContain("CANCELED");
    const again = await caudex("cancel", waiting.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("INVALID_TRANSITION");
    expect((await caudex("health")).code).toBe(0);
  });

  it("lists failed jobs and retries them one by one or all at once", async () => {
    const list = await caudex("failed");
    expect(list.stdout).toContain("TASK_ERROR: the fixture failed on purpose");
    const all = await caudex("failed", "--retry-all", "--json");
    expect(json<{ retried: number }>(all)).toEqual({ retried: 2 });
    expect(all.stderr).not.toContain("\u001b");
    await drain();
    const one = await caudex("failed", "--retry", failed.id);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("QUEUED");
    expect(json<Job>(await caudex("job", failed.id, "--json")).status).toBe("QUEUED");
    await drain();
    const retried = await caudex("retry", failed.id);
    expect(retried.code).toBe(0);
    expect((await caudex("retry", done.id)).code).toBe(1);
    expect((await caudex("failed", "--retry", done.id, "--retry-all")).code).toBe(2);
  });

  it("purges finished jobs by status and age", async () => {
    const young = json<{ purged: number }>(await caudex("purge", "--status", "COMPLETED", "--older-than", "7d", "--json"));
    expect(young.purged).toBe(0);
    const purged = await caudex("purge", "--status", "COMPLETED");
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain("Purged 1 COMPLETED job(s)");
    expect((await caudex("job", done.id)).code).toBe(1);
    expect((await caudex("purge")).code).toBe(2);
    expect((await caudex("purge", "--status", "QUEUED")).code).toBe(2);
  });
});
