// Dependencies, flows and batches through the real binary on one SQLite file: enqueue with
// --depends-on, a job's dependency lines, `caudex tree` and `caudex batch` as text and as the
// HTTP API's JSON, and the exit codes of bad input.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/connect.js";
import { Client } from "../../src/core/client.js";
import type { Store } from "../../src/core/store.js";
import { buildApp } from "../../src/server/app.js";
import { buildCli, json, runCli, type JobJson } from "../support/cli.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-flows-"));
const db = join(dir, "caudex.db");
const API_TOKEN = "cli-flows-token-0123456789";

beforeAll(buildCli, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

async function enqueue(task: string, ...args: string[]): Promise<JobJson & { depends_on: string[]; on_dependency_failure: string }> {
  const result = await caudex("enqueue", task, "--json", ...args);
  expect(result.code, result.stderr).toBe(0);
  return json(result);
}

describe("caudex dependency commands", () => {
  let store: Store;
  let client: Client;
  let first: JobJson;
  let second: JobJson;
  let flow: { root: string; child: string; grandchild: string };
  let batchId: string;

  const api = async (url: string): Promise<unknown> => {
    const app = await buildApp({ client, auth: { token: API_TOKEN, readonlyToken: null } });
    try {
      return (await app.inject({ url, headers: { authorization: `Bearer ${API_TOKEN}` } })).json();
    } finally {
      await app.close();
    }
  };

  beforeAll(async () => {
    first = await enqueue("quick", "--payload", '{"n":1}');
    second = await enqueue("quick", "--depends-on", first.job_id, "--on-dependency-failure", "run");
    store = await createStore({ sqlite: { path: db } });
    client = new Client({ store });
    const made = await client.enqueueFlow({ task: "quick", payload: { step: "root" }, children: [{ task: "quick", payload: { step: "child" }, children: [{ task: "quick", payload: { step: "grandchild" } }] }] });
    flow = { root: made.root.id, child: made.jobs[1]?.id ?? "", grandchild: made.jobs[0]?.id ?? "" };
    const batch = await client.enqueueBatch({ jobs: [{ task: "quick", payload: {} }, { task: "fail", payload: {}, options: { maxAttempts: 1 } }, { task: "quick", payload: {} }], callback: { task: "quick", payload: {} }, on: "always" });
    batchId = batch.batch.id;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it("enqueues a job DEFERRED behind another and shows its dependencies, and the other's dependents", async () => {
    expect(second).toMatchObject({ status: "DEFERRED", depends_on: [first.job_id], on_dependency_failure: "run" });
    const page = await caudex("job", second.job_id);
    expect(page.stdout).toMatch(new RegExp(`depends on:\\s+${first.job_id}`));
    expect(page.stdout).toMatch(/dependencies:\s+0 of 1 final: 0 completed, 0 failed, 0 canceled; 1 waiting/);
    expect(page.stdout).toMatch(/on dependency failure:\s+run/);
    expect((await caudex("job", first.job_id)).stdout).toMatch(/dependents:\s+1/);
    const deferred = json<{ jobs: JobJson[] }>(await caudex("jobs", "--status", "deferred", "--json"));
    expect(deferred.jobs.map((j) => j.job_id)).toContain(second.job_id);
    expect((await caudex("stats")).stdout).toMatch(/^QUEUE\s+QUEUED\s+SCHEDULED\s+DEFERRED/);
  });

  it("refuses a bad policy or id list with exit 2 and an unknown dependency with exit 1, storing nothing", async () => {
    const before = (await client.listJobs({}, { limit: 500 })).jobs.length;
    expect((await caudex("enqueue", "quick", "--depends-on", first.job_id, "--on-dependency-failure", "ignore")).code).toBe(2);
    expect((await caudex("enqueue", "quick", "--depends-on", `${first.job_id},,x`)).code).toBe(2);
    expect((await caudex("enqueue", "quick", "--on-dependency-failure", "run")).code).toBe(2);
    const missing = await caudex("enqueue", "quick", "--depends-on", "job_missing", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "DEPENDENCY_NOT_FOUND" } });
    expect((await client.listJobs({}, { limit: 500 })).jobs.length).toBe(before);
  });

  it("draws a flow's tree from its root, and prints the API's tree answer with --json", async () => {
    const tree = await caudex("tree", flow.grandchild);
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${flow.root}  quick  DEFERRED  waits for 1 of 1$`));
    expect(lines[1]).toMatch(new RegExp(`^└─ ${flow.child}  quick  DEFERRED`));
    expect(lines[2]).toMatch(new RegExp(`^   └─ ${flow.grandchild}  quick  QUEUED$`));
    expect(tree.stdout).toContain("3 job(s), 0 final.");
    expect(json(await caudex("tree", flow.child, "--json"))).toEqual(await api(`/jobs/${flow.child}/tree`));
  });

  it("shows a batch's counts once its members ran, as text and as the API's batch answer", async () => {
    const drained = await caudex("worker", "--tasks", TASKS, "--burst");
    expect(drained.code, drained.stderr).toBe(0);
    const batch = await caudex("batch", batchId);
    expect(batch.code).toBe(0);
    expect(batch.stdout).toMatch(/members:\s+3 of 3 final: 2 completed, 1 failed, 0 canceled; 0 waiting/);
    expect(batch.stdout).toMatch(/callback:\s+quick, COMPLETED/);
    expect(batch.stdout).toMatch(/finished:\s+yes/);
    expect(json(await caudex("batch", batchId, "--json"))).toEqual(await api(`/batches/${batchId}`));
    expect(json<JobJson>(await caudex("job", second.job_id, "--json")).status).toBe("COMPLETED");
    expect(json<JobJson>(await caudex("job", flow.root, "--json")).status).toBe("COMPLETED");
    const missing = await caudex("batch", "job_missing", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "JOB_NOT_FOUND" } });
  });
});
