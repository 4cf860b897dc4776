// Real worker processes on a real redis-server: Redis (AOF, appendfsync always) is SIGKILLed
// and restarted twice while three workers drain 5,000 jobs; a paused worker's late completion is
// fenced off after another worker took its job over; and a job handed to a worker SIGKILLed
// while it stood (decision 0009) is done by its successor; a canceled running job is aborted in
// its worker process at once, not at the next heartbeat (decision 0027).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Client } from "../../src/core/client.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { spawnTs, type Child } from "../support/processes.js";
import { RedisServer, redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/redis-worker.ts");
const dir = mkdtempSync(join(tmpdir(), "caudex-redis-faults-"));
const children: Child[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const child of children) child.process.kill("SIGKILL");
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

async function completed(store: RedisStore): Promise<number> {
  try {
    return (await store.stats()).find((s) => s.queue === "default")?.counts.COMPLETED ?? 0;
  } catch {
    return -1;
  }
}

describe.skipIf(!redisServerAvailable())("Redis with real worker processes", () => {
  it("loses nothing while redis-server is SIGKILLed and restarted twice during a drain", async () => {
    const server = await RedisServer.start({ appendfsync: "always" });
    servers.push(server);
    const store = await RedisStore.connect({ url: server.url, namespace: "faults" });
    const client = new Client({ store });
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const jobs = await client.enqueueMany(Array.from({ length: 500 }, (_, i) => ({ task: "record", payload: { i } })));
      ids.push(...jobs.map((j) => j.id));
    }
    const outs = [0, 1, 2].map((i) => join(dir, `drain-${i}.out`));
    for (const [i, out] of outs.entries()) {
      const env = { REDIS_URL: server.url, NAMESPACE: "faults", NAME: `drain-${i}`, CONCURRENCY: "10", TASK_MS: "15", LEASE_MS: "2000", OUT: out };
      children.push(spawnTs(FIXTURE, env));
    }
    const resumeMs: number[] = [];
    for (const threshold of [1000, 2500]) {
      await waitFor(async () => (await completed(store)) >= threshold, { timeoutMs: 60_000, what: `${threshold} completions` });
      await server.kill();
      // The outage itself: Redis stays down for a second, with nothing to wait for.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await server.restart();
      const back = Date.now();
      const before = await waitFor(async () => {
        const n = await completed(store);
        return n >= 0 ? n + 1 : 0;
      }, { what: "the test's own store to reconnect" });
      try {
        await waitFor(async () => (await completed(store)) >= before, { timeoutMs: 20_000, what: "workers to resume" });
      } catch (error) {
        // What the workers said (claim and settlement errors, with times), to see why they stalled.
        const said = children.map((child, i) => `drain-${i}:\n${child.output().split("\n").filter((line) => line.startsWith("error")).slice(-20).join("\n")}`);
        throw new Error(`${String(error)}; Redis back at ${new Date(back).toISOString()}\n${said.join("\n")}`, { cause: error });
      }
      resumeMs.push(Date.now() - back);
    }
    await waitFor(async () => (await completed(store)) === ids.length, { timeoutMs: 60_000, what: "every job completed" });
    const jobs = await Promise.all(ids.map((id) => store.getJob(id)));
    const lost = jobs.filter((job) => job === null || job.status !== "COMPLETED").length;
    const executions = outs.flatMap(lines);
    const unique = new Set(executions);
    const duplicates = executions.length - unique.size;
    console.log(`redis faults: 5,000 jobs, 2 SIGKILLs of redis-server: lost ${lost}, duplicates ${duplicates}, resumed after ${resumeMs.join(" ms, ")} ms`);
    expect(lost).toBe(0);
    expect(ids.filter((id) => !unique.has(id))).toEqual([]);
    for (const ms of resumeMs) expect(ms).toBeLessThan(5000);
    await store.close();
  }, 90_000);
});

describe.skipIf(!redisServerAvailable())("Redis cancel notices", () => {
  it("aborts a running job canceled by another process at once, not at the next heartbeat (20 s away)", async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const store = await RedisStore.connect({ url: server.url, namespace: "cancel" });
    const client = new Client({ store });
    // A 60 s lease: the worker's next heartbeat, which would also tell it, is 20 s away.
    const worker = spawnTs(FIXTURE, { REDIS_URL: server.url, NAMESPACE: "cancel", NAME: "canceled", LEASE_MS: "60000", HANG_MS: "60000" });
    children.push(worker);
    await waitFor(() => worker.output().includes("ready"), { what: "worker ready" });
    const job = await client.enqueue("hang", {});
    await waitFor(() => worker.output().includes(`started ${job.id}`), { what: "the worker to start the job" });
    await client.cancel(job.id);
    // A generous bound, not a measurement (bench/reaction.ts measures): far below the heartbeat.
    await waitFor(() => worker.output().includes(`aborted ${job.id}`), { timeoutMs: 5000, what: "the task's signal to abort" });
    expect(worker.output()).toContain(`lease-lost ${job.id}`);
    expect((await client.getJob(job.id))?.status).toBe("CANCELED");
    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    await store.close();
  }, 30_000);
});

describe.skipIf(!redisServerAvailable())("Redis fencing with a paused worker", () => {
  it("rejects the late completion of a worker paused past its lease; the new attempt's result stays", async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const store = await RedisStore.connect({ url: server.url, namespace: "stale" });
    const client = new Client({ store });
    const base = { REDIS_URL: server.url, NAMESPACE: "stale", LEASE_MS: "1500", MAINTENANCE_MS: "200", HOLDER: "paused", HOLD_MS: "4000" };
    const paused = spawnTs(FIXTURE, { ...base, NAME: "paused", OUT: join(dir, "paused.out") });
    children.push(paused);
    await waitFor(() => paused.output().includes("ready"), { what: "first worker ready" });
    const job = await client.enqueue("hold", {});
    await waitFor(() => paused.output().includes(`started ${job.id}`), { what: "first worker to start the job" });
    paused.process.kill("SIGSTOP");
    const taker = spawnTs(FIXTURE, { ...base, NAME: "taker", OUT: join(dir, "taker.out") });
    children.push(taker);
    const done = await client.wait(job.id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: "COMPLETED", attempt: 2, stalls: 1, worker: "taker", result: { by: "taker", attempt: 2 } });
    paused.process.kill("SIGCONT");
    await waitFor(() => paused.output().includes(`lease-lost ${job.id}`), { what: "the paused worker's completion to be rejected" });
    const after = await client.requireJob(job.id);
    expect(after.result).toEqual({ by: "taker", attempt: 2 });
    const completions = (await client.jobEvents(job.id)).filter((e) => e.type === "job:completed");
    expect(completions).toHaveLength(1);
    await store.close();
  }, 60_000);
});

describe.skipIf(!redisServerAvailable())("Redis standing claims with a worker SIGKILLed while it stands", () => {
  it("gets the job handed to the dead worker done: at once by a worker of the same name, else after its lease", async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const admin = new Redis(server.url);
    for (const successor of ["same name", "other name"] as const) {
      const namespace = successor === "same name" ? "standing-same" : "standing-other";
      const store = await RedisStore.connect({ url: server.url, namespace });
      const client = new Client({ store });
      const start = (name: string): Child => {
        const child = spawnTs(FIXTURE, { REDIS_URL: server.url, NAMESPACE: namespace, NAME: name, LEASE_MS: "2000", MAINTENANCE_MS: "200", OUT: join(dir, `${namespace}-${name}.out`) });
        children.push(child);
        return child;
      };
      // A first job gives the queue its number, so that later single enqueues take the short path.
      const first = await client.enqueue("record", {});
      const doomed = start("doomed");
      await client.wait(first.id, { timeoutMs: 10_000 });
      // It stands once a claim found nothing and its channel is subscribed.
      const stand = `${store.keys.prefix}stand`;
      await waitFor(async () => Object.values(await admin.hgetall(stand)).some((value) => !value.startsWith("!")), { what: "the worker to stand" });
      doomed.process.kill("SIGKILL");
      await doomed.exited;
      const job = await client.enqueue("record", { successor });
      expect(await client.requireJob(job.id), "handed to the dead worker").toMatchObject({ status: "PROCESSING", worker: "doomed" });
      const started = Date.now();
      start(successor === "same name" ? "doomed" : "rescuer");
      const done = await client.wait(job.id, { timeoutMs: 20_000 });
      console.log(`standing worker SIGKILLed, successor with the ${successor}: job done ${Date.now() - started} ms after the successor started`);
      expect(done).toMatchObject({ status: "COMPLETED", stalls: 1, worker: successor === "same name" ? "doomed" : "rescuer" });
      await store.close();
    }
    await admin.quit();
  }, 60_000);
});

describe.skipIf(!redisServerAvailable())("Redis SIGKILLed while jobs are handed to standing workers", () => {
  it("loses nothing and the worker carries on after the restart", async () => {
    const server = await RedisServer.start({ appendfsync: "always" });
    servers.push(server);
    const store = await RedisStore.connect({ url: server.url, namespace: "handed" });
    const client = new Client({ store });
    const out = join(dir, "handed.out");
    const worker = spawnTs(FIXTURE, { REDIS_URL: server.url, NAMESPACE: "handed", NAME: "handed", CONCURRENCY: "4", TASK_MS: "5", LEASE_MS: "2000", MAINTENANCE_MS: "200", OUT: out });
    children.push(worker);
    await waitFor(() => worker.output().includes("ready"), { what: "the worker ready" });
    // The path under test is taken: once the worker stands, a job starts in its enqueue's own
    // script (the same server millisecond), five times running.
    const admin = new Redis(server.url);
    await client.wait((await client.enqueue("record", {})).id, { timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      await waitFor(async () => Object.values(await admin.hgetall(`${store.keys.prefix}stand`)).some((value) => !value.startsWith("!")), { what: "the worker to stand" });
      const done = await client.wait((await client.enqueue("record", {})).id, { timeoutMs: 10_000 });
      expect(done.startedAt, "handed off").toBe(done.createdAt);
    }
    await admin.quit();
    // Single enqueues a few ms apart into a queue the worker keeps empty: most are handed off.
    const ids: string[] = [];
    let producing = true;
    const producer = (async () => {
      while (producing) {
        try {
          ids.push((await client.enqueue("record", {})).id);
        } catch {
          // Redis is down: nothing acknowledged, nothing owed.
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await waitFor(() => ids.length >= 100, { what: "100 jobs acknowledged before the kill" });
    await server.kill();
    // The outage itself: Redis stays down for a second, with nothing to wait for.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.restart();
    const beforeRestart = ids.length;
    await waitFor(() => ids.length >= beforeRestart + 100, { timeoutMs: 20_000, what: "100 jobs acknowledged after the restart" });
    producing = false;
    await producer;
    // Waits on the acknowledged jobs themselves, not on the COMPLETED count: an enqueue whose
    // reply was lost with the connection may still have been stored, run and counted.
    const unfinished = async (): Promise<unknown[]> => (await Promise.all(ids.map((id) => store.getJob(id)))).filter((job) => job?.status !== "COMPLETED");
    await waitFor(async () => (await unfinished()).length === 0, { timeoutMs: 20_000, what: `all ${ids.length} acknowledged jobs completed` });
    expect(await unfinished()).toEqual([]);
    const ran = new Set(lines(out));
    expect(ids.filter((id) => !ran.has(id))).toEqual([]);
    console.log(`handed-off jobs across a redis-server SIGKILL: ${ids.length} acknowledged, all completed`);
    await store.close();
  }, 60_000);
});
