// Real processes sharing one SQLite file: four workers drain 10,000 jobs exactly once, and a
// worker SIGKILLed mid-job has its job recovered by another worker within lease + one tick; a
// job canceled by another process is aborted in its worker long before a heartbeat would tell it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "../support/processes.js";
import { waitFor } from "../support/wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/sqlite-worker.ts");
const dir = mkdtempSync(join(tmpdir(), "caudex-procs-"));
const children: Child[] = [];
afterAll(() => {
  for (const child of children) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

describe("SQLite with real worker processes", () => {
  it("drains 10,000 jobs with four processes, each job executed exactly once", async () => {
    const db = join(dir, "drain.db");
    const store = new SqliteStore({ path: db });
    const client = new Client({ store });
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const jobs = await client.enqueueMany(Array.from({ length: 1000 }, (_, i) => ({ task: "record", payload: { i } })));
      ids.push(...jobs.map((j) => j.id));
    }
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      children.push(spawnTs(FIXTURE, { DB: db, NAME: `drain-${i}`, CONCURRENCY: "8", BURST: "1", OUT: join(dir, `drain-${i}.out`) }));
    }
    const codes = await Promise.all(children.slice(-4).map((c) => c.exited));
    const seconds = (Date.now() - started) / 1000;
    expect(codes).toEqual([0, 0, 0, 0]);
    const executed = [0, 1, 2, 3].flatMap((i) => lines(join(dir, `drain-${i}.out`)));
    const unique = new Set(executed);
    expect(executed.length - unique.size).toBe(0);
    expect(ids.filter((id) => !unique.has(id))).toEqual([]);
    const stats = await client.stats();
    expect(stats.find((s) => s.queue === "default")?.counts.COMPLETED).toBe(10_000);
    console.log(`4 processes drained 10,000 jobs in ${seconds.toFixed(1)} s (${Math.round(10_000 / seconds)} jobs/s, including process start)`);
    await store.close();
  }, 180_000);

  it("recovers the job of a SIGKILLed worker within the lease time plus one tick", async () => {
    const db = join(dir, "kill.db");
    const store = new SqliteStore({ path: db });
    const client = new Client({ store });
    const leaseMs = 2000;
    const victim = spawnTs(FIXTURE, { DB: db, NAME: "victim", LEASE_MS: String(leaseMs), HANG_MS: "60000", OUT: join(dir, "victim.out") });
    children.push(victim);
    await waitFor(() => victim.output().includes("ready"), { what: "victim ready" });
    const job = await client.enqueue("hang", {});
    await waitFor(() => victim.output().includes(`started ${job.id}`), { what: "victim to start the job" });
    const rescuer = spawnTs(FIXTURE, { DB: db, NAME: "rescuer", LEASE_MS: String(leaseMs), HANG_MS: "10", MAINTENANCE_MS: "500", OUT: join(dir, "rescuer.out") });
    children.push(rescuer);
    await waitFor(() => rescuer.output().includes("ready"), { what: "rescuer ready" });
    expect((await client.workers(leaseMs)).map((w) => w.name).sort()).toEqual(["rescuer", "victim"]);

    const killedAt = Date.now();
    victim.process.kill("SIGKILL");
    await victim.exited;
    const done = await client.wait(job.id, { timeoutMs: 15_000 });
    const recoveredMs = Date.now() - killedAt;
    expect(done).toMatchObject({ status: "COMPLETED", result: { by: "rescuer" }, stalls: 1 });
    expect(recoveredMs).toBeLessThan(leaseMs + 500 + 1500);
    await waitFor(async () => (await client.workers(leaseMs)).every((w) => w.name !== "victim"), { what: "victim to leave the workers list" });
    console.log(`job of the killed worker completed by another ${recoveredMs} ms after SIGKILL (lease ${leaseMs} ms)`);
    rescuer.process.kill("SIGTERM");
    expect(await rescuer.exited).toBe(0);
    await store.close();
  }, 60_000);

  it("aborts a running job canceled by another process at once, not at the next heartbeat (20 s away)", async () => {
    const db = join(dir, "cancel.db");
    const store = new SqliteStore({ path: db });
    const client = new Client({ store });
    // A 60 s lease: the worker's next heartbeat, which would also tell it, is 20 s away.
    const worker = spawnTs(FIXTURE, { DB: db, NAME: "canceled", LEASE_MS: "60000", HANG_MS: "60000" });
    children.push(worker);
    await waitFor(() => worker.output().includes("ready"), { what: "worker ready" });
    const job = await client.enqueue("hang", {});
    await waitFor(() => worker.output().includes(`started ${job.id}`), { what: "the worker to start the job" });
    await client.cancel(job.id);
    // A generous bound, not a measurement (bench/reaction.ts measures): far below the heartbeat.
    await waitFor(() => worker.output().includes(`aborted ${job.id}`), { timeoutMs: 5000, what: "the task's signal to abort" });
    expect((await client.getJob(job.id))?.status).toBe("CANCELED");
    // (The task's own timer would keep a stopped worker's process alive for its 60 s.)
    worker.process.kill("SIGKILL");
    await worker.exited;
    await store.close();
  }, 30_000);
});
