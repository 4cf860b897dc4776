// Fault soak on Redis (`npm run chaos`): real worker processes drain a stream of jobs (mostly
// single enqueues into a near-empty queue, so idle workers stand and get jobs handed to them,
// plus some batches) while the run SIGKILLs workers (restarting each under its own name or a new
// one) and SIGKILLs redis-server (AOF, appendfsync always) and restarts it. At the end every
// acknowledged job must be COMPLETED and have run at least once. Prints the figures; exits 1 on a
// lost job.
// Flags: --seconds N (default 60), --workers N (default 3), --worker-kill-every S (default 4),
// --redis-kill-every S (default 15; 0 turns either fault off).
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "../src/core/client.js";
import type { Job } from "../src/core/job.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { spawnTs, type Child } from "../test/support/processes.js";
import { RedisServer } from "../test/support/redis-server.js";
import { waitFor } from "../test/support/wait-for.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: { seconds: { type: "string" }, workers: { type: "string" }, "worker-kill-every": { type: "string" }, "redis-kill-every": { type: "string" } },
});
const seconds = Number(values.seconds ?? 60);
const workerCount = Number(values.workers ?? 3);
const FIXTURE = join(import.meta.dirname, "../test/fixtures/redis-worker.ts");
const NAMESPACE = "chaos";
const LEASE_MS = 2000;
const WORKER_KILL_EVERY_MS = Number(values["worker-kill-every"] ?? 4) * 1000;
const REDIS_KILL_EVERY_MS = Number(values["redis-kill-every"] ?? 15) * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dir = mkdtempSync(join(tmpdir(), "caudex-chaos-"));
const server = await RedisServer.start({ appendfsync: "always" });
const store = await RedisStore.connect({ url: server.url, namespace: NAMESPACE });
const client = new Client({ store });
const outs: string[] = [];
const workers: { name: string; child: Child; killed: boolean }[] = [];
let spawned = 0;

function startWorker(name: string): Child {
  const out = join(dir, `${name}-${spawned++}.out`);
  outs.push(out);
  return spawnTs(FIXTURE, { REDIS_URL: server.url, NAMESPACE, NAME: name, CONCURRENCY: "4", TASK_MS: "5", LEASE_MS: String(LEASE_MS), MAINTENANCE_MS: "200", OUT: out });
}

const acknowledged: string[] = [];
let refused = 0;
let workerKills = 0;
let redisKills = 0;
let selfExits = 0;
let running = true;

async function produce(): Promise<void> {
  for (let i = 0; running; i++) {
    try {
      if (i % 50 === 49) acknowledged.push(...(await client.enqueueMany(Array.from({ length: 20 }, (_, j) => ({ task: "record", payload: { i, j } })))).map((job) => job.id));
      else acknowledged.push((await client.enqueue("record", { i })).id);
    } catch {
      // Redis is down: nothing was acknowledged, so nothing is owed.
      refused += 1;
      await sleep(50);
    }
    await sleep(Math.random() * 10);
  }
}

async function faults(): Promise<void> {
  let nextWorkerKill = WORKER_KILL_EVERY_MS > 0 ? Date.now() + WORKER_KILL_EVERY_MS : Infinity;
  let nextRedisKill = REDIS_KILL_EVERY_MS > 0 ? Date.now() + REDIS_KILL_EVERY_MS : Infinity;
  while (running) {
    await sleep(250);
    // A worker that exited by itself (one started while Redis was down cannot connect) is
    // started again, as a process manager would.
    for (const w of workers) {
      if (w.child.process.exitCode !== null && !w.killed) {
        selfExits += 1;
        w.child = startWorker(w.name);
      }
    }
    const victim = workers[Math.floor(Math.random() * workers.length)];
    if (Date.now() >= nextWorkerKill && victim !== undefined) {
      victim.killed = true;
      victim.child.process.kill("SIGKILL");
      await victim.child.exited;
      workerKills += 1;
      await sleep(500);
      // Every other restart takes a new name: its predecessor's jobs then wait for their leases.
      if (workerKills % 2 === 0) victim.name = `${victim.name.split("~")[0]}~${workerKills}`;
      victim.child = startWorker(victim.name);
      victim.killed = false;
      nextWorkerKill = Date.now() + WORKER_KILL_EVERY_MS;
    }
    if (Date.now() >= nextRedisKill) {
      await server.kill();
      redisKills += 1;
      await sleep(1000);
      await server.restart();
      nextRedisKill = Date.now() + REDIS_KILL_EVERY_MS;
    }
  }
}

function executions(): string[] {
  return outs.flatMap((file) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []));
}

let exitCode = 0;
try {
  for (let i = 0; i < workerCount; i++) workers.push({ name: `chaos-${i}`, child: startWorker(`chaos-${i}`), killed: false });
  await waitFor(() => workers.every((w) => w.child.output().includes("ready")), { timeoutMs: 30_000, what: "workers ready" });
  console.log(`chaos: ${seconds} s, ${workerCount} workers (concurrency 4, lease ${LEASE_MS} ms), a worker SIGKILLed every ${WORKER_KILL_EVERY_MS / 1000} s, redis-server every ${REDIS_KILL_EVERY_MS / 1000} s`);
  const started = Date.now();
  const production = produce();
  const faulting = faults();
  await sleep(seconds * 1000);
  running = false;
  await Promise.all([production, faulting]);
  const drainStart = Date.now();
  let jobs: (Job | null)[] = [];
  await waitFor(
    async () => {
      jobs = [];
      for (let i = 0; i < acknowledged.length; i += 500) jobs.push(...(await Promise.all(acknowledged.slice(i, i + 500).map((id) => store.getJob(id).catch(() => null)))));
      return jobs.every((job) => job?.status === "COMPLETED");
    },
    { timeoutMs: 120_000, intervalMs: 1000, what: "every acknowledged job completed" },
  ).catch(() => undefined);
  const lost = jobs.filter((job) => job?.status !== "COMPLETED");
  const ran = executions();
  const ranSet = new Set(ran);
  const neverRan = acknowledged.filter((id) => !ranSet.has(id));
  const done = jobs.filter((job): job is Job => job?.status === "COMPLETED" && job.completedAt !== null);
  const waits = done.map((job) => (job.completedAt as number) - job.createdAt);
  const stalled = done.filter((job) => job.stalls > 0).length;
  // A job handed to a standing worker starts in its enqueue's script (same server millisecond).
  const handed = done.filter((job) => job.startedAt === job.createdAt).length;
  console.log(
    [
      `acknowledged ${acknowledged.length} jobs (${refused} enqueues refused while Redis was down) in ${((drainStart - started) / 1000).toFixed(0)} s`,
      `faults: ${workerKills} worker SIGKILLs, ${redisKills} redis-server SIGKILLs (workers that exited by themselves and were started again: ${selfExits})`,
      `lost: ${lost.length}, never ran: ${neverRan.length}`,
      `executions: ${ran.length} (re-runs ${ran.length - ranSet.size}), jobs recovered from a dead worker: ${stalled}`,
      `started in their enqueue's millisecond (handed to a standing worker, or claimed at once): ${handed}`,
      `enqueue -> completed: p50 ${percentile(waits, 50)} ms, p99 ${percentile(waits, 99)} ms, max ${Math.max(0, ...waits)} ms`,
      `drained ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the last enqueue`,
    ].join("\n"),
  );
  if (lost.length > 0 || neverRan.length > 0) {
    console.error(`LOST: ${lost.slice(0, 10).map((job) => `${job?.id} ${job?.status} ${job?.worker ?? ""}`).join(", ")}`);
    // What the workers said (claim and settlement errors, with times), to see why they stalled.
    for (const w of workers) console.error(`${w.name}:\n${w.child.output().split("\n").filter((l) => !l.startsWith("error")).slice(-12).join("\n")}`);
    exitCode = 1;
  }
} finally {
  running = false;
  for (const w of workers) w.child.process.kill("SIGKILL");
  await store.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
