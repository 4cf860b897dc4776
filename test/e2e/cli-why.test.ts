// `caudex why` and the worker warnings of `caudex enqueue` through the real binary on one SQLite
// file: the reasons as text and as the API's JSON, an unknown job (exit 1), a warning on stderr
// when no live worker would run the job, and --strict refusing it (exit 1, nothing stored).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { buildCli, json, runCli, type JobJson } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-cli-why-"));
const db = join(dir, "caudex.db");

beforeAll(buildCli, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

async function jobCount(): Promise<number> {
  const store = new SqliteStore({ path: db });
  try {
    return (await store.listJobs({}, 500, null)).jobs.length;
  } finally {
    await store.close();
  }
}

describe("caudex why and enqueue's worker warnings", () => {
  it("warns on stderr, refuses with --strict, explains the job, and stops warning once a worker runs the task", async () => {
    // With --json the warnings are part of the answer, and stderr stays free for an error's JSON.
    const warned = await caudex("enqueue", "echo", "--json");
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toBe("");
    const job = json<JobJson & { warnings: Array<{ code: string }> }>(warned);
    expect(job.warnings.map((w) => w.code)).toContain("NO_WORKER_FOR_QUEUE");
    // As text, on stderr (this second job waits behind the first).
    const said = await caudex("enqueue", "echo");
    expect(said.code, said.stderr).toBe(0);
    expect(said.stderr).toContain("Warning: No live worker listens on queue default (no worker is live) [NO_WORKER_FOR_QUEUE]");

    const refused = await caudex("enqueue", "echo", "--strict");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Not enqueued (--strict): No live worker listens on queue default");
    expect(await jobCount()).toBe(2);

    const why = await caudex("why", job.job_id);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toBe(`${job.job_id} is QUEUED:\n  1. NO_WORKER_FOR_QUEUE  No live worker listens on queue default (no worker is live)\n  2. QUEUE_POSITION  Next in queue default\n`);
    const answer = json<{ job_id: string; status: string; reasons: Array<{ code: string }> }>(await caudex("why", job.job_id, "--json"));
    expect(answer).toMatchObject({ job_id: job.job_id, status: "QUEUED", reasons: [{ code: "NO_WORKER_FOR_QUEUE", queue: "default" }, { code: "QUEUE_POSITION", ahead: 0, at_least: false }] });

    const unknown = await caudex("why", "job_unknown");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("JOB_NOT_FOUND");

    // A live worker (over HTTP) that runs echo on default: echo is fine now, another task is not.
    const store = new SqliteStore({ path: db });
    const client = new Client({ store });
    try {
      await client.remoteWorkers.register({ name: "remote-1", incarnation: "remote-incarnation", host: "h", pid: 1, queues: ["default"], tasks: ["echo"], concurrency: 1 });
      const served = await caudex("enqueue", "echo", "--strict");
      expect(served.code, served.stderr).toBe(0);
      expect(served.stderr).not.toContain("Warning");
      const other = await caudex("enqueue", "resize_image", "--strict");
      expect(other.code).toBe(1);
      expect(other.stderr).toContain("No live worker of queue default runs task resize_image (no live worker has it)");
      expect(other.stderr).toContain("[NO_WORKER_FOR_TASK]");
      expect(await jobCount()).toBe(3);
    } finally {
      await client.close();
    }
  }, 60_000);
});
