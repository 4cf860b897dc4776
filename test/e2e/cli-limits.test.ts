// `caudex limits` and the limit options of `enqueue` and `job` through the real binary on one
// SQLite file: set, list, get and clear; a job enqueued under a key shows it and, once the key
// is at its limit, why it waits; bad input exits 2 with a code and stores nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { buildCli, json, runCli, type JobJson } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-cli-limits-"));
const db = join(dir, "caudex.db");

beforeAll(buildCli, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function caudex(...args: string[]) {
  return runCli([...args, "--db", db]);
}

/** Leases every QUEUED job as a worker would (the slots they take are what the limits count). */
async function claimAll(): Promise<void> {
  const store = new SqliteStore({ path: db });
  try {
    await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 10, leaseMs: 60_000 });
  } finally {
    await store.close();
  }
}

describe("caudex limits", () => {
  it("sets limits, enqueues under keys, lists them, shows why a job waits, and clears", async () => {
    const byDefault = await caudex("limits", "set", "per-project", "--concurrency", "1", "--json");
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(json(byDefault)).toMatchObject({ name: "per-project", key: null, concurrency: 1, rate: null, source: "operator" });
    const rated = await caudex("limits", "set", "github-api", "shared", "--rate", "10/1s", "--burst", "3");
    expect(rated.stdout).toContain("Set github-api, key shared: rate 10/1s (burst 3)");

    const first = json<JobJson>(await caudex("enqueue", "quick", "--limit-key", "per-project=42", "--limit-key", "github-api=shared", "--json"));
    expect(first.limit_keys).toEqual([{ name: "per-project", key: "42" }, { name: "github-api", key: "shared" }]);
    const second = json<JobJson>(await caudex("enqueue", "quick", "--limit-key", "per-project=42", "--json"));
    await claimAll();

    const table = await caudex("limits");
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+KEY\s+RUNNING\s+WAITING\s+RATE\s+TOKENS\s+STATE/);
    expect(table.stdout).toMatch(/github-api\s+shared\s+1\s+0\s+10\/1s \(burst 3\)\s+\d\s*\n/);
    expect(table.stdout).toMatch(/per-project\s+42\s+1\/1\s+1\s+–\s+–\s+AT LIMIT/);
    const listed = json<{ limits: Array<{ name: string; key: string; at_limit: boolean }>; next_cursor: string | null }>(await caudex("limits", "--json"));
    expect(listed.limits.map((l) => `${l.name}/${l.key}/${l.at_limit}`)).toEqual(["github-api/shared/false", "per-project/42/true"]);

    const held = await caudex("job", second.job_id);
    expect(held.stdout).toMatch(/limits:\s+per-project=42/);
    expect(held.stdout).toMatch(/held by:\s+limited by per-project, key 42: 1 of 1 running/);
    expect(json(await caudex("job", second.job_id, "--json"))).toMatchObject({ held_by: "limited by per-project, key 42: 1 of 1 running", postponements: 0 });
    expect(json(await caudex("job", first.job_id, "--json"))).toMatchObject({ held_by: null });

    expect(json(await caudex("limits", "get", "per-project", "42", "--json"))).toMatchObject({ running: 1, waiting: 1, concurrency: 1, at_limit: true });
    expect(json(await caudex("limits", "set", "per-project", "42", "--concurrency", "2", "--json"))).toMatchObject({ key: "42", concurrency: 2 });
    expect(json(await caudex("job", second.job_id, "--json"))).toMatchObject({ held_by: null });
    expect((await caudex("limits", "clear", "per-project", "42")).stdout).toContain("Cleared per-project, key 42.");
    expect(json(await caudex("limits", "get", "per-project", "42", "--json"))).toMatchObject({ concurrency: 1 });
    expect((await caudex("limits", "clear", "per-project")).code).toBe(0);
    expect(json(await caudex("limits", "get", "per-project", "42", "--json"))).toMatchObject({ concurrency: null, at_limit: false });
  });

  it("exits 2 with a code on bad limits and limit keys, and stores nothing", async () => {
    const before = json<{ limits: unknown[] }>(await caudex("limits", "--json")).limits.length;
    const jobsBefore = json<{ jobs: unknown[] }>(await caudex("jobs", "--json")).jobs.length;
    for (const args of [
      ["limits", "set", "per-user"],
      ["limits", "set", "per-user", "u1", "--rate", "ten"],
      ["limits", "set", "per-user", "u1", "--burst", "2", "--concurrency", "1"],
      ["limits", "set", "per-user", "u1", "--concurrency", "-1"],
      ["limits", "set", "bad name!", "--concurrency", "1"],
      ["limits", "set", "per-user", "u1", "--concurrency", "999999999"],
      ["limits", "get", "per-user"],
      ["enqueue", "quick", "--limit-key", "per-user"],
      ["enqueue", "quick", "--limit-key", "bad name!=1"],
      ["enqueue", "quick", "--limit-key", "a=1", "--limit-key", "a=2"],
    ]) {
      const result = await caudex(...args, "--json");
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(JSON.parse(result.stderr) as { error: { code: string } }, args.join(" ")).toMatchObject({ error: { code: expect.stringMatching(/^(USAGE|INVALID_OPTIONS)$/) as string } });
    }
    expect(json<{ limits: unknown[] }>(await caudex("limits", "--json")).limits).toHaveLength(before);
    expect(json<{ jobs: unknown[] }>(await caudex("jobs", "--json")).jobs).toHaveLength(jobsBefore);
  });
});
