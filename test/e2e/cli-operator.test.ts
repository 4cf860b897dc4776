// The operator's commands through the real binary on one SQLite file: tables for people,
// valid JSON for scripts (jobs exactly as the HTTP API shows them), exit codes, and the
// warning about queues no worker listens on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/connect.js";
import { Client } from "../../src/core/client.js";
import { buildApp } from "../../src/server/app.js";
import { buildCli, json, runCli, type JobJson } from "../support/cli.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-operator-"));
const db = join(dir, "caudex.db");
const API_TOKEN = "cli-operator-token-0123456789";

beforeAll(buildCli, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

async function enqueue(task: string, ...args: string[]): Promise<JobJson> {
  const result = await caudex("enqueue", task, "--json", ...args);
  expect(result.code, result.stderr).toBe(0);
  return json<JobJson>(result);
}

async function drain(): Promise<void> {
  const result = await caudex("worker", "--tasks", TASKS, "--burst", "--queues", "high,default");
  expect(result.code, result.stderr).toBe(0);
}

describe("caudex operator commands", () => {
  let done: JobJson;
  let failed: JobJson;
  let waiting: JobJson;

  beforeAll(async () => {
    done = await enqueue("quick", "--payload", '{"n":1}');
    // With --tasks, the task's own options apply: "fail" has a single attempt.
    failed = await enqueue("fail", "--tasks", TASKS);
    await enqueue("fail", "--max-attempts", "1");
    waiting = await enqueue("quick", "--queue", "reports", "--timeout", "90s");
    await drain();
  }, 60_000);

  it("shows one job as a table of fields and as JSON, and exits 1 for an unknown id", async () => {
    const human = await caudex("job", done.job_id);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/status:\s+COMPLETED/);
    expect(human.stdout).toContain('result:');
    const data = json<JobJson>(await caudex("job", failed.job_id, "--json"));
    expect(data.status).toBe("FAILED");
    expect(data.error?.message).toContain("failed on purpose");

    const missing = await caudex("job", "job_nope", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "JOB_NOT_FOUND" } });
  });

  it("lists jobs with filters, as a table and as JSON", async () => {
    const table = await caudex("jobs");
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TASK\s+QUEUE\s+STATUS/);
    expect(table.stdout).toContain(waiting.job_id);
    const failedOnly = json<{ jobs: JobJson[]; next_cursor: string | null }>(await caudex("jobs", "--status", "failed", "--json"));
    expect(failedOnly.jobs.map((j) => j.status)).toEqual(["FAILED", "FAILED"]);
    expect(failedOnly.next_cursor).toBeNull();
    const reports = json<{ jobs: JobJson[] }>(await caudex("jobs", "--queue", "reports", "--task", "quick", "--limit", "5", "--json"));
    expect(reports.jobs.map((j) => j.job_id)).toEqual([waiting.job_id]);
    expect(reports.jobs[0]?.timeout).toBe(90);
  });

  it("prints jobs in --json exactly as the HTTP API shows them", async () => {
    const store = await createStore({ sqlite: { path: db } });
    const app = await buildApp({ client: new Client({ store }), auth: { token: API_TOKEN, readonlyToken: null } });
    const api = async (url: string): Promise<unknown> => (await app.inject({ url, headers: { authorization: `Bearer ${API_TOKEN}` } })).json();
    try {
      for (const job of [done, failed, waiting]) {
        expect(json(await caudex("job", job.job_id, "--json"))).toEqual(await api(`/jobs/${job.job_id}`));
      }
      expect(json(await caudex("jobs", "--json"))).toEqual(await api("/jobs"));
      expect(json(await caudex("jobs", "--status", "failed", "--limit", "1", "--json"))).toEqual(await api("/jobs?status=FAILED&limit=1"));
      expect(json(await caudex("failed", "--json"))).toEqual(await api("/monitoring/queue/failed"));
    } finally {
      await app.close();
      await store.close();
    }
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
    const canceled = await caudex("cancel", waiting.job_id);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toContain("CANCELED");
    const again = await caudex("cancel", waiting.job_id);
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
    const one = await caudex("failed", "--retry", failed.job_id);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("QUEUED");
    expect(json<JobJson>(await caudex("job", failed.job_id, "--json"))).toMatchObject({ status: "QUEUED", attempt: 0, retries: 2 });
    await drain();
    const retried = await caudex("retry", failed.job_id, "--json");
    expect(retried.code).toBe(0);
    // Each retry restarts the attempt count; `retries` keeps count of them.
    expect(json<JobJson>(retried)).toMatchObject({ job_id: failed.job_id, status: "QUEUED", attempt: 0, retries: 3 });
    expect((await caudex("job", failed.job_id)).stdout).toMatch(/attempt:\s+0 of 1 \(retried 3×\)/);
    expect((await caudex("retry", done.job_id)).code).toBe(1);
    expect((await caudex("failed", "--retry", done.job_id, "--retry-all")).code).toBe(2);
  });

  it("purges finished jobs by status and age", async () => {
    const young = json<{ purged: number }>(await caudex("purge", "--status", "COMPLETED", "--older-than", "7d", "--json"));
    expect(young.purged).toBe(0);
    const purged = await caudex("purge", "--status", "COMPLETED");
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain("Purged 1 COMPLETED job(s)");
    expect((await caudex("job", done.job_id)).code).toBe(1);
    expect((await caudex("purge")).code).toBe(2);
    expect((await caudex("purge", "--status", "QUEUED")).code).toBe(2);
  });
});
