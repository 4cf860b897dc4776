// The habits of RQ users through the real binary: queues as arguments, short flags, "did you
// mean" for typos, one duration syntax for TTLs, pause/resume, stats --watch and completion.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/connect.js";
import { Client } from "../../src/core/client.js";
import { buildCli, json, runCli, startCli, type JobJson } from "../support/cli.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-rq-"));
const db = join(dir, "caudex.db");

beforeAll(buildCli, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

async function enqueue(...args: string[]): Promise<JobJson> {
  const result = await caudex("enqueue", ...args, "--json");
  expect(result.code, result.stderr).toBe(0);
  return json<JobJson>(result);
}

describe("caudex for RQ users", () => {
  it("suggests the command or flag meant, exits 2 and points to --help", async () => {
    const command = await caudex("wroker");
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('Unknown command "wroker". Did you mean worker?');
    expect(command.stderr).toContain("Run `caudex --help` for usage.");
    const flag = await caudex("worker", "--concurency", "4");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown flag --concurency. Did you mean --concurrency?");
    expect(flag.stderr).toContain("Run `caudex worker --help` for usage.");
    const info = await runCli(["info", "--json"]);
    expect(info.code).toBe(2);
    expect(JSON.parse(info.stderr)).toMatchObject({ error: { code: "USAGE", message: expect.stringContaining("Did you mean stats?") as unknown } });
  });

  it("runs a worker on the queues given as arguments, with RQ's short flags", async () => {
    const report = await enqueue("quick", "--queue", "reports");
    const other = await enqueue("quick", "--queue", "default");
    const worker = await caudex("worker", "reports", "low", "-t", TASKS, "-n", "rq-worker", "-c", "2", "-b");
    expect(worker.code, worker.stderr).toBe(0);
    expect(json<JobJson>(await caudex("job", report.job_id, "--json"))).toMatchObject({ status: "COMPLETED", worker: expect.stringContaining("rq-worker") as unknown });
    expect(json<JobJson>(await caudex("job", other.job_id, "--json")).status).toBe("QUEUED");
    const both = await caudex("worker", "reports", "--queues", "high", "-t", TASKS, "-b");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give QUEUE arguments or --queues, not both");
    const bad = await caudex("worker", "bad queue", "-t", TASKS, "-b");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('QUEUE arguments has invalid queue names "bad queue"');
  });

  it("reads TTLs as durations or plain seconds, from flags and from RQ's variables", async () => {
    const days = await enqueue("quick", "--result-ttl", "1d", "--failure-ttl", "500");
    const fromEnv = json<JobJson>(await runCli(["enqueue", "quick", "--json", "--db", db], { env: { RQ_RESULT_TTL: "12h", CAUDEX_FAILURE_TTL: "1h30m" } }));
    const client = new Client({ store: await createStore({ sqlite: { path: db } }) });
    try {
      expect(await client.getJob(days.job_id)).toMatchObject({ resultTtlSeconds: 86_400, failureTtlSeconds: 500 });
      expect(await client.getJob(fromEnv.job_id)).toMatchObject({ resultTtlSeconds: 43_200, failureTtlSeconds: 5400 });
    } finally {
      await client.close();
    }
    const wrong = await caudex("enqueue", "quick", "--result-ttl", "soon");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--result-ttl must be a duration such as 30s, 10m, 1h30m or 1d, or a number of seconds, in whole seconds from 0 to 3650d (got "soon")');
  });

  it("pauses and resumes a queue, as the HTTP API answers, and refuses a bad name", async () => {
    expect(json(await caudex("pause", "reports", "--json"))).toEqual({ queue: "reports", paused: true });
    const stats = json<{ queues: Array<{ queue: string; paused: boolean }> }>(await caudex("stats", "--json"));
    expect(stats.queues.find((q) => q.queue === "reports")?.paused).toBe(true);
    const job = await enqueue("quick", "--queue", "reports");
    expect((await caudex("worker", "reports", "-t", TASKS, "-b")).code).toBe(0);
    expect(json<JobJson>(await caudex("job", job.job_id, "--json")).status).toBe("QUEUED");
    const resumed = await caudex("resume", "reports");
    expect(resumed.stdout).toContain("Queue reports is resumed");
    expect((await caudex("worker", "reports", "-t", TASKS, "-b")).code).toBe(0);
    expect(json<JobJson>(await caudex("job", job.job_id, "--json")).status).toBe("COMPLETED");
    const bad = await caudex("pause", "no such queue");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid queue name "no such queue"');
  });

  it("prints stats once per interval when piped until SIGINT, then exits 0", async () => {
    const watch = startCli(["stats", "--watch", "--interval", "100ms", "--db", db]);
    await watch.waitForOutput(/(^--- .*\n[\s\S]*){3}/m);
    watch.process.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    expect(watch.stdout()).toMatch(/^--- \d{4}-\d\d-\d\dT[\d:]+Z\nQUEUE/);
    expect(watch.stdout()).not.toContain("\u001b[");
    const lines = startCli(["stats", "-i", "100ms", "--json", "--db", db]);
    await lines.waitForOutput(/(\n.*){2}\n/);
    lines.process.kill("SIGTERM");
    expect(await lines.exited).toBe(0);
    const docs = lines.stdout().trim().split("\n").map((line) => JSON.parse(line) as { at: string; queues: unknown[] });
    expect(docs.length).toBeGreaterThanOrEqual(2);
    expect(docs[0]?.queues.length).toBeGreaterThan(0);
  });

  it("prints a completion script for each shell", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const result = await runCli(["completion", shell]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("caudex");
    }
    expect((await runCli(["completion", "tcsh"])).code).toBe(2);
  });
});
