// What schedules cost the paths that do not use them (`npm run bench:schedules`): with 10,000
// schedules of which 3 are due every second, the maintenance tick's time (Redis and SQLite) and
// its Redis commands, beside a store with no schedule; and the drain of plain jobs by one in-process worker
// (concurrency 50, maintenance on) with and without those schedules, rounds alternating.
// Flags: --schedules N (default 10000), --jobs N (default 20000), --rounds N (default 3).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { Client } from "../src/core/client.js";
import { DEFAULT_MAINTENANCE, runMaintenance } from "../src/core/maintenance.js";
import type { Store } from "../src/core/store.js";
import { defineTask } from "../src/core/task.js";
import { Worker } from "../src/core/worker.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";
import { RedisServer } from "../test/support/redis-server.js";
import { median, wallMs } from "./stats.js";

const { values } = parseArgs({ options: { schedules: { type: "string" }, jobs: { type: "string" }, rounds: { type: "string" } } });
const SCHEDULES = Number(values.schedules ?? 10_000);
const JOBS = Number(values.jobs ?? 20_000);
const ROUNDS = Number(values.rounds ?? 3);
const TICKS = 10;
// Ticks a second apart, as in a real deployment: on Redis a pass runs at most once per 900 ms
// maintenance window per namespace, so closer ticks would mostly measure skipped passes.
const TICK_SPACING_MS = 1100;
const noop = defineTask("noop", () => null);
const dir = mkdtempSync(join(tmpdir(), "caudex-schedule-cost-"));
const server = await RedisServer.start();
const admin = new Redis(server.url);
let n = 0;

async function openStore(kind: "redis" | "sqlite"): Promise<Store> {
  return kind === "redis" ? RedisStore.connect({ url: server.url, namespace: `cost-${n++}` }) : new SqliteStore({ path: join(dir, `cost-${n++}.db`) });
}

/** Adds `count` yearly schedules (not due for months) and 3 that fire every second; none when `count` is 0. */
async function addSchedules(client: Client, count: number): Promise<void> {
  if (count === 0) return;
  for (let i = 0; i < count; i++) await client.schedules.upsert({ id: `yearly-${i}`, task: "noop", cron: "0 0 1 1 *", payload: { i } });
  for (let i = 0; i < 3; i++) await client.schedules.upsert({ id: `due-${i}`, task: "noop", every: "1s" });
}

async function commandsSoFar(): Promise<number> {
  const info = await admin.info("commandstats");
  return [...info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)].filter((m) => m[1] !== "info" && m[1] !== "config|resetstat").reduce((sum, m) => sum + Number(m[2]), 0);
}

/** Median time of a maintenance tick, and (Redis) the commands of one. */
async function tickCost(kind: "redis" | "sqlite", schedules: number): Promise<{ ms: number; commands: number | null }> {
  const store = await openStore(kind);
  const client = new Client({ store });
  try {
    await addSchedules(client, schedules);
    const times: number[] = [];
    let commands = 0;
    for (let i = 0; i < TICKS; i++) {
      await new Promise((resolve) => setTimeout(resolve, TICK_SPACING_MS));
      const before = kind === "redis" ? await commandsSoFar() : 0;
      const start = wallMs();
      await runMaintenance(store, DEFAULT_MAINTENANCE);
      times.push(wallMs() - start);
      if (kind === "redis") commands += (await commandsSoFar()) - before - 1;
    }
    return { ms: median(times), commands: kind === "redis" ? commands / TICKS : null };
  } finally {
    await store.close();
  }
}

/** Jobs per second of one drain of plain jobs by an in-process worker with maintenance on. */
async function drainRate(kind: "redis" | "sqlite", schedules: number): Promise<number> {
  const store = await openStore(kind);
  const client = new Client({ store });
  try {
    await addSchedules(client, schedules);
    for (let i = 0; i < JOBS; i += 1000) await client.enqueueMany(Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({ task: noop, payload: { i, j } })));
    const worker = new Worker({ store, tasks: [noop], concurrency: 50, burst: true, maintenance: true });
    const start = wallMs();
    await worker.start();
    await worker.finished();
    return JOBS / ((wallMs() - start) / 1000);
  } finally {
    await store.close();
  }
}

const rows: string[] = [];
for (const kind of ["redis", "sqlite"] as const) {
  const empty = await tickCost(kind, 0);
  const full = await tickCost(kind, SCHEDULES);
  rows.push(`| ${kind} | maintenance tick, median ms | ${empty.ms.toFixed(2)} | ${full.ms.toFixed(2)} |`);
  if (empty.commands !== null && full.commands !== null) rows.push(`| ${kind} | Redis commands per tick | ${empty.commands.toFixed(1)} | ${full.commands.toFixed(1)} |`);
  const without: number[] = [];
  const withSchedules: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    without.push(await drainRate(kind, 0));
    withSchedules.push(await drainRate(kind, SCHEDULES));
  }
  rows.push(`| ${kind} | drain c50, jobs/s (median of ${ROUNDS}) | ${median(without).toFixed(0)} | ${median(withSchedules).toFixed(0)} |`);
}
console.log(`\n${SCHEDULES.toLocaleString("en-US")} schedules (3 due every second), ${JOBS.toLocaleString("en-US")} plain jobs\n`);
console.log("| store | measure | no schedules | with schedules |\n|---|---|---:|---:|");
for (const row of rows) console.log(row);
admin.disconnect();
await server.stop();
rmSync(dir, { recursive: true, force: true });
