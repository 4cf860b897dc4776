// How fast a worker hears that its running job was canceled (`npm run bench:reaction`): on each
// store, a real worker process (60 s lease, so its heartbeat is 20 s away and cannot be what
// tells it) runs one job at a time; this process cancels each running job and the time is taken
// from just before the cancel call to the task's signal aborting in the worker (the worker
// prints the abort with its clock: same host, same clock). Prints p50, p99 and max per store;
// exits 1 when a cancel was not heard within 5 s.
// Flags: --cancels N (default 100), --stores sqlite,redis (default both; redis needs redis-server).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "../src/core/client.js";
import type { Store } from "../src/core/store.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "../test/support/processes.js";
import { RedisServer, redisServerAvailable } from "../test/support/redis-server.js";
import { waitFor } from "../test/support/wait-for.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { cancels: { type: "string" }, stores: { type: "string" } } });
const cancels = Number(values.cancels ?? 100);
const stores = (values.stores ?? "sqlite,redis").split(",");
const LEASE_MS = "60000";
const HEARD_WITHIN_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), "caudex-reaction-"));

interface Rig {
  store: Store;
  worker: Child;
  stop(): Promise<void>;
}

async function sqliteRig(): Promise<Rig> {
  const db = join(dir, "reaction.db");
  const store = new SqliteStore({ path: db });
  const worker = spawnTs(join(import.meta.dirname, "../test/fixtures/sqlite-worker.ts"), { DB: db, NAME: "reaction", LEASE_MS, HANG_MS: "600000" });
  return { store, worker, stop: () => store.close() };
}

async function redisRig(): Promise<Rig> {
  const server = await RedisServer.start();
  const store = await RedisStore.connect({ url: server.url, namespace: "reaction" });
  const worker = spawnTs(join(import.meta.dirname, "../test/fixtures/redis-worker.ts"), { REDIS_URL: server.url, NAMESPACE: "reaction", NAME: "reaction", LEASE_MS, HANG_MS: "600000" });
  return {
    store,
    worker,
    stop: async () => {
      await store.close();
      await server.stop();
    },
  };
}

/** The worker's clock reading when it printed `aborted <jobId> <ms>`, once it has. */
function abortedAt(worker: Child, jobId: string): number | null {
  const match = new RegExp(`aborted ${jobId} (\\d+)`).exec(worker.output());
  return match === null ? null : Number(match[1]);
}

async function measure(kind: string, rig: Rig): Promise<boolean> {
  const client = new Client({ store: rig.store });
  await waitFor(() => rig.worker.output().includes("ready"), { what: `${kind} worker ready`, timeoutMs: 30_000 });
  const latencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < cancels; i += 1) {
    const job = await client.enqueue("hang", {});
    await waitFor(() => rig.worker.output().includes(`started ${job.id}`), { what: "the worker to start the job", intervalMs: 2 });
    const sentAt = Date.now();
    await client.cancel(job.id);
    try {
      const at = await waitFor(() => abortedAt(rig.worker, job.id), { timeoutMs: HEARD_WITHIN_MS, intervalMs: 5 });
      latencies.push(at - sentAt);
    } catch {
      missed += 1;
    }
  }
  const p = (q: number): string => `${percentile(latencies, q).toFixed(0)} ms`;
  console.log(`${kind.padEnd(7)} ${cancels} cancels: p50 ${p(50)}, p99 ${p(99)}, max ${p(100)}${missed > 0 ? `, ${missed} not heard within ${HEARD_WITHIN_MS} ms` : ""}`);
  rig.worker.process.kill("SIGKILL");
  await rig.worker.exited;
  await rig.stop();
  return missed === 0;
}

let ok = true;
try {
  for (const kind of stores) {
    if (kind === "sqlite") ok = (await measure(kind, await sqliteRig())) && ok;
    else if (kind === "redis") {
      if (!redisServerAvailable()) console.log("redis   skipped: no redis-server on PATH");
      else ok = (await measure(kind, await redisRig())) && ok;
    } else throw new Error(`Unknown store "${kind}" (sqlite, redis)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
