// `caudex worker` and `caudex dev` as real processes: --max-jobs, --burst, warm and immediate
// stops on SIGTERM (a job finishes or goes back to QUEUED, never lost), and dev serving.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import type { JobStatus } from "../../src/core/job-states.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { buildCli, json, runCli, startCli, type CliProcess, type JobJson } from "../support/cli.js";
import { waitFor } from "../support/wait-for.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-worker-"));
const running: CliProcess[] = [];
const clients: Client[] = [];

beforeAll(buildCli, 120_000);
afterAll(async () => {
  for (const child of running) child.process.kill("SIGKILL");
  for (const client of clients) await client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh database file, and a client on it to watch jobs from the test. */
function database(name: string): { db: string; client: Client } {
  const db = join(dir, `${name}.db`);
  const client = new Client({ store: new SqliteStore({ path: db }) });
  clients.push(client);
  return { db, client };
}

function start(args: string[]): CliProcess {
  const child = startCli(args, { cwd: dir });
  running.push(child);
  return child;
}

async function enqueue(db: string, task: string, payload: unknown): Promise<JobJson> {
  const result = await runCli(["enqueue", task, "--payload", JSON.stringify(payload), "--db", db, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return json<JobJson>(result);
}

async function countOf(client: Client, status: JobStatus): Promise<number> {
  return (await client.listJobs({ status }, { limit: 500 })).jobs.length;
}

describe("caudex worker", () => {
  it("with --isolate kills a task stuck in a CPU loop at its timeout and goes on", async () => {
    const { db, client } = database("isolate");
    const stuck = await runCli(["enqueue", "spin", "--payload", "{}", "--timeout", "1s", "--db", db, "--json"]);
    expect(stuck.code, stuck.stderr).toBe(0);
    const next = await enqueue(db, "double", { n: 4 });
    const cpu = join(import.meta.dirname, "../fixtures/cpu-tasks.mjs");
    const result = await runCli(["worker", "--tasks", cpu, "--db", db, "--isolate", "--burst", "--concurrency", "1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(await client.getJob(json<JobJson>(stuck).job_id)).toMatchObject({ status: "FAILED", error: { code: "TIMEOUT" } });
    expect(await client.getJob(next.job_id)).toMatchObject({ status: "COMPLETED", result: 8 });
  }, 60_000);

  it("enqueues nothing from a file whose line past the first batch fails the task's schema, and names the line", async () => {
    const { db, client } = database("from-invalid");
    const file = join(dir, "wiki.jsonl");
    const lines = Array.from({ length: 700 }, (_, i) => JSON.stringify({ projectId: String(i) }));
    lines[649] = JSON.stringify({ projectId: 5 });
    writeFileSync(file, lines.join("\n"));
    const tasks = join(import.meta.dirname, "../../dist/examples/tasks.js");
    const refused = await runCli(["enqueue", "generate_wiki", "--from", file, "--tasks", tasks, "--db", db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("line 650");
    expect(refused.stderr).toMatch(/nothing was enqueued/i);
    expect((await client.listJobs({}, { limit: 10 })).jobs).toHaveLength(0);

    lines[649] = JSON.stringify({ projectId: "649" });
    writeFileSync(file, lines.join("\n"));
    const stored = await runCli(["enqueue", "generate_wiki", "--from", file, "--tasks", tasks, "--db", db, "--json"]);
    expect(stored.code, stored.stderr).toBe(0);
    const answer = json<{ enqueued: number; ids: string[] }>(stored);
    expect(answer.enqueued).toBe(700);
    expect(new Set(answer.ids).size).toBe(700);
  });

  it("exits 0 after --max-jobs jobs, and --burst exits once the queues are empty", async () => {
    const { db, client } = database("max-jobs");
    const file = join(dir, "jobs.jsonl");
    writeFileSync(file, Array.from({ length: 8 }, (_, i) => JSON.stringify({ n: i })).join("\n"));
    const enqueued = await runCli(["enqueue", "quick", "--from", file, "--db", db]);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.stdout).toContain("Enqueued 8 job(s)");
    expect(enqueued.stderr).not.toContain("\u001b");

    const first = await runCli(["worker", "--tasks", TASKS, "--db", db, "--max-jobs", "5", "--concurrency", "1"]);
    expect(first.code, first.stderr).toBe(0);
    expect(await countOf(client, "COMPLETED")).toBe(5);
    expect(await countOf(client, "QUEUED")).toBe(3);

    const burst = await runCli(["worker", "--tasks", TASKS, "--db", db, "--burst", "--concurrency", "4"]);
    expect(burst.code, burst.stderr).toBe(0);
    expect(await countOf(client, "COMPLETED")).toBe(8);
  });

  it("lets a running job finish within the grace period on SIGTERM, then exits 0", async () => {
    const { db, client } = database("warm-stop");
    const job = await enqueue(db, "slow", { ms: 1500 });
    const worker = start(["worker", "--tasks", TASKS, "--db", db, "--name", "warm-1", "--grace-period", "20s"]);
    await waitFor(async () => (await client.requireJob(job.job_id)).status === "PROCESSING", { what: "the job to start" });
    const workers = await runCli(["workers", "--db", db, "--json"]);
    expect(json<{ workers: Array<{ name: string }> }>(workers).workers.map((w) => w.name)).toEqual(["warm-1"]);

    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect((await client.requireJob(job.job_id)).status).toBe("COMPLETED");
  });

  it("hands a running job back to QUEUED when the grace period ends first", async () => {
    const { db, client } = database("short-grace");
    const job = await enqueue(db, "slow", { ms: 60_000 });
    const worker = start(["worker", "--tasks", TASKS, "--db", db, "--grace-period", "200ms"]);
    await waitFor(async () => (await client.requireJob(job.job_id)).status === "PROCESSING", { what: "the job to start" });
    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    const after = await client.requireJob(job.job_id);
    expect(after.status).toBe("QUEUED");
    expect(after.error).toBeNull();
  });

  it("stops at once on a second signal, handing the running job back", async () => {
    const { db, client } = database("second-signal");
    const job = await enqueue(db, "slow", { ms: 60_000 });
    const worker = start(["worker", "--tasks", TASKS, "--db", db, "--grace-period", "60s"]);
    await waitFor(async () => (await client.requireJob(job.job_id)).status === "PROCESSING", { what: "the job to start" });
    worker.process.kill("SIGTERM");
    await worker.waitForOutput(/send it again to stop now/);
    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect((await client.requireJob(job.job_id)).status).toBe("QUEUED");
  });
});

describe("caudex dev", () => {
  it("serves the API with a printed token and runs the example tasks", async () => {
    const { db, client } = database("dev");
    const dev = start(["dev", "--port", "0", "--db", db]);
    const url = (await dev.waitForOutput(/API:\s+(http\S+)/))[1] as string;
    const token = (await dev.waitForOutput(/Token:\s+(\S+)/))[1] as string;
    expect(dev.stdout()).toContain(`${url}/dashboard`);

    expect((await fetch(`${url}/monitoring/health`)).status).toBe(200);
    expect((await fetch(`${url}/dashboard/`)).status).toBe(200);
    expect((await fetch(`${url}/monitoring/queue/stats`)).status).toBe(401);
    const stats = await fetch(`${url}/monitoring/queue/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(stats.status).toBe(200);

    const waited = await runCli(["enqueue", "send_email", "--payload", '{"to":"ada@example.com","subject":"hi"}', "--wait", "--db", db, "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const done = json<JobJson>(waited);
    expect(done.status).toBe("COMPLETED");
    expect((await client.requireJob(done.job_id)).result).toEqual({ sent: true });

    dev.process.kill("SIGINT");
    expect(await dev.exited).toBe(0);
  });
});
