// Real worker processes on a real PostgreSQL server (fsync and synchronous_commit on): the server
// is stopped with `-m immediate` (no checkpoint, as a crash) and restarted twice while three
// workers drain the queue. Every acknowledged job completes; a job runs twice only when its lease
// was lost meanwhile (the re-run is counted in its record), as at-least-once promises.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import type { Job } from "../../src/core/job.js";
import { PostgresStore } from "../../src/stores/postgres/postgres-store.js";
import { PostgresServer, postgresServerAvailable } from "../support/postgres-server.js";
import { spawnTs, type Child } from "../support/processes.js";
import { waitFor } from "../support/wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/postgres-worker.ts");
const JOBS = 3000;
const dir = mkdtempSync(join(tmpdir(), "caudex-pg-faults-"));
const children: Child[] = [];
let server: PostgresServer | undefined;
afterAll(async () => {
  for (const child of children) child.process.kill("SIGKILL");
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

async function completed(store: PostgresStore): Promise<number> {
  try {
    return (await store.stats()).find((s) => s.queue === "default")?.counts.COMPLETED ?? 0;
  } catch {
    return -1;
  }
}

describe.skipIf(!postgresServerAvailable())("PostgreSQL with real worker processes", () => {
  it("loses nothing while the server is stopped with -m immediate and restarted twice during a drain", async () => {
    server = await PostgresServer.start({ durability: "durable" });
    const pg = server;
    const store = await PostgresStore.connect({ url: pg.url, schema: "faults", poolSize: 2 });
    const client = new Client({ store });
    const ids: string[] = [];
    for (let batch = 0; batch < JOBS / 500; batch++) {
      const jobs = await client.enqueueMany(Array.from({ length: 500 }, (_, i) => ({ task: "record", payload: { i } })));
      ids.push(...jobs.map((j) => j.id));
    }
    const outs = [0, 1, 2].map((i) => join(dir, `drain-${i}.out`));
    for (const [i, out] of outs.entries()) {
      const env = { PG_URL: pg.url, SCHEMA: "faults", NAME: `drain-${i}`, CONCURRENCY: "10", TASK_MS: "10", LEASE_MS: "2000", MAINTENANCE_MS: "500", OUT: out };
      children.push(spawnTs(FIXTURE, env));
    }
    for (const threshold of [JOBS / 5, JOBS / 2]) {
      await waitFor(async () => (await completed(store)) >= threshold, { timeoutMs: 60_000, intervalMs: 100, what: `${threshold} completions` });
      await pg.crash();
      // The outage itself: the server stays down for a second, past the workers' next heartbeat.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await pg.restart();
      const before = await waitFor(async () => {
        const n = await completed(store);
        return n >= 0 ? n + 1 : 0;
      }, { what: "the test's own store to reconnect" });
      try {
        await waitFor(async () => (await completed(store)) >= before, { timeoutMs: 20_000, intervalMs: 100, what: "workers to resume" });
      } catch (error) {
        const said = children.map((child, i) => `drain-${i}:\n${child.output().split("\n").slice(-20).join("\n")}`);
        throw new Error(`${String(error)}\n${said.join("\n")}`, { cause: error });
      }
    }
    await waitFor(async () => (await completed(store)) === ids.length, { timeoutMs: 60_000, intervalMs: 200, what: "every job completed" });
    const jobs = new Map<string, Job | null>();
    for (const id of ids) jobs.set(id, await store.getJob(id));
    const lost = [...jobs.values()].filter((job) => job === null || job.status !== "COMPLETED").length;
    const executions = outs.flatMap(lines);
    const unique = new Set(executions);
    const counts = new Map<string, number>();
    for (const id of executions) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rerun = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    // A second run is the at-least-once recovery of a lost lease: the job's record counts it.
    const unexplained = rerun.filter((id) => {
      const job = jobs.get(id);
      return job === null || job === undefined || (job.stalls === 0 && job.attempt <= 1);
    });
    const leaseLost = children.reduce((n, child) => n + (child.output().match(/^lease-lost /gm)?.length ?? 0), 0);
    console.log(`postgres faults: ${JOBS} jobs, 2 immediate stops: lost ${lost}, duplicate runs ${executions.length - unique.size} (jobs run twice: ${rerun.length}, leases lost as seen by workers: ${leaseLost})`);
    expect(lost).toBe(0);
    expect(ids.filter((id) => !unique.has(id))).toEqual([]);
    expect(unexplained).toEqual([]);
    await store.close();
  }, 150_000);
});
