// SQLite under a large backlog: stats, health, throughput, filtered listings and prune with
// 1,000,000 jobs (`reads`), each next to the query it replaced, on the same file in the same run;
// and what the counting triggers cost enqueue and drain (`writes`), rounds alternating a file
// with the triggers and one without. Never part of npm test.
// and the statements' own CPU cost per row with and without them (`rows`).
// Run: node --import tsx bench/sqlite-load.ts [--part reads|writes|rows|both] [--jobs N] [--rounds N] [--dir D]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { Client } from "../src/core/client.js";
import { defineTask } from "../src/core/task.js";
import { Worker } from "../src/core/worker.js";
import { checkHealth } from "../src/server/health.js";
import { migrate } from "../src/stores/sqlite/migrate.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";
import { newJob } from "../test/support/jobs.js";
import { machineReport } from "./machine.js";
import { median } from "./stats.js";

const { values } = parseArgs({ options: { part: { type: "string", default: "both" }, jobs: { type: "string" }, rounds: { type: "string" }, dir: { type: "string" } } });
const part = values.part ?? "both";
// `--dir /dev/shm` puts the files on tmpfs, where fsync costs nothing: the writes part then
// measures the statements, not the disk (and not the other work on a shared disk).
const dir = mkdtempSync(join(values.dir ?? tmpdir(), "caudex-load-"));
const payload = { projectId: "42", userId: "7", kind: "report", pages: [1, 2, 3] };

function ms(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
async function msAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
async function med(times: number, fn: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await msAsync(fn));
  return median(out);
}
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(3));

// The triggers of 006-status-counts.sql.
const COUNTING = ["jobs_count_insert", "jobs_count_delete", "jobs_count_move"];

async function fill(store: SqliteStore, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += 1000) {
    // Ten common tasks; one rare task (one job in 100,000) for the filtered listing.
    const batch = Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => newJob({ task: (i + k) % 100_000 === 7 ? "rare" : `task-${(i + k) % 10}`, payload }));
    await store.enqueue(batch);
  }
}

async function reads(jobs: number): Promise<void> {
  const path = join(dir, "reads.db");
  const store = new SqliteStore({ path });
  const client = new Client({ store });
  const raw = new Database(path);
  const t0 = Date.now();
  await fill(store, jobs);
  console.error(`filled ${jobs} jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const rows: Array<[string, string, string]> = [];
  const oldStats = (): void => {
    raw.transaction(() => {
      raw.prepare("SELECT queue, status, count(*) AS n FROM jobs GROUP BY queue, status").all();
      raw.prepare("SELECT queue, min(enqueued_at) AS t FROM jobs WHERE status = 'QUEUED' GROUP BY queue").all();
      raw.prepare("SELECT queue, status, count(*) AS n FROM jobs WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= ? GROUP BY queue, status").all(Date.now() - 60_000);
    })();
  };
  rows.push([`stats, ${jobs.toLocaleString("en")} waiting`, fmt(median(Array.from({ length: 5 }, () => ms(oldStats)))), fmt(await med(5, () => store.stats()))]);
  rows.push([`health check (store, workers, stats), ${jobs.toLocaleString("en")} waiting`, "-", fmt(await med(5, () => checkHealth(client, 10_000)))]);
  const oldListing = (): unknown => raw.prepare("SELECT * FROM jobs INDEXED BY jobs_status WHERE status = 'QUEUED' AND task = 'rare' ORDER BY id DESC LIMIT 51").all();
  rows.push(["listing status=QUEUED & task=rare (10 matches), page 50", fmt(median(Array.from({ length: 3 }, () => ms(oldListing)))), fmt(await med(5, () => store.listJobs({ status: "QUEUED", task: "rare" }, 50, null)))]);

  // Every job completed within the last hour, none due for pruning; their events an hour and more old.
  const now = Date.now();
  const settle = ms(() => raw.prepare("UPDATE jobs SET status = 'COMPLETED', completed_at = ? - (abs(random()) % 3600000), expires_at = NULL, position = NULL").run(now));
  console.error(`completed ${jobs} jobs in one UPDATE (triggers counting) in ${fmt(settle)} ms`);
  raw.prepare("UPDATE events SET at = at - 7200000").run();
  const since = Math.floor((now - 3600_000) / 60_000) * 60_000;
  const oldThroughput = (): unknown => raw.prepare("SELECT queue, status, completed_at / 60000 AS minute, count(*) AS n FROM jobs WHERE status IN ('COMPLETED', 'FAILED') AND completed_at >= ? GROUP BY queue, status, minute").all(since);
  rows.push([`finishesPerMinute (dashboard throughput), ${jobs.toLocaleString("en")} finished in the hour`, fmt(median(Array.from({ length: 3 }, () => ms(oldThroughput)))), fmt(await med(5, () => store.finishesPerMinute(since)))]);
  rows.push([`stats, ${jobs.toLocaleString("en")} finished in the hour`, fmt(median(Array.from({ length: 3 }, () => ms(oldStats)))), fmt(await med(5, () => store.stats()))]);
  const events = raw.prepare("SELECT count(*) FROM events").pluck().get() as number;
  const oldPrune = (): unknown =>
    raw.transaction(() => raw.prepare("DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY events_at WHERE type IN ('job:progress', 'job:removed') AND at < ? LIMIT ?)").run(Date.now() - 3600_000, 1000)).immediate();
  rows.push([`prune (1,000 per tick), ${events.toLocaleString("en")} old events, none to delete`, fmt(median(Array.from({ length: 3 }, () => ms(oldPrune)))), fmt(await med(5, () => store.prune(1000)))]);
  await store.close();
  // Upgrading this file: undo 006-status-counts, then time its migration (backfill and indexes).
  for (const trigger of COUNTING) raw.exec(`DROP TRIGGER ${trigger}`);
  raw.exec(`DROP TABLE queue_status_counts; DROP TABLE job_finishes; DROP TABLE maintenance_leases;
    DROP INDEX events_prunable; DROP INDEX jobs_status_task; DELETE FROM schema_migrations WHERE version = 6`);
  const upgrade = ms(() => migrate(raw));
  raw.close();
  console.log(`\n${machineReport()}\n- command: \`node --import tsx bench/sqlite-load.ts --part reads --jobs ${jobs}\`\n`);
  console.log(`Migration 006-status-counts on this file (${jobs.toLocaleString("en")} jobs, ${events.toLocaleString("en")} events): ${(upgrade / 1000).toFixed(1)} s.\n`);
  console.log("| read, ms (median) | before: the replaced query | now |\n|---|---:|---:|");
  for (const [what, before, after] of rows) console.log(`| ${what} | ${before} | ${after} |`);
}

/** A new store; `bare` drops what 006-status-counts.sql added to every write (triggers, indexes). */
function freshStore(name: string, bare: boolean): SqliteStore {
  const path = join(dir, `${name}.db`);
  const store = new SqliteStore({ path });
  if (bare) {
    const raw = new Database(path);
    for (const trigger of COUNTING) raw.exec(`DROP TRIGGER ${trigger}`);
    raw.exec("DROP INDEX jobs_status_task; DROP INDEX events_prunable");
    raw.close();
  }
  return store;
}

/** CPU µs of this process (producer and in-process worker alike) per job since `start`. */
function cpuPerJob(start: NodeJS.CpuUsage, jobs: number): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / jobs;
}

async function writes(jobs: number, rounds: number): Promise<void> {
  const noop = defineTask("noop", () => null);
  const series = new Map<string, number[]>();
  const note = (key: string, value: number): void => void series.set(key, [...(series.get(key) ?? []), value]);
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const bare of round % 2 === 0 ? [true, false] : [false, true]) {
      const label = bare ? "without" : "with";
      {
        const store = freshStore(`single-${n++}`, bare);
        const client = new Client({ store });
        const single = Math.min(jobs, 5000);
        const cpu = process.cpuUsage();
        const t = await msAsync(async () => {
          for (let i = 0; i < single; i++) await client.enqueue(noop, payload);
        });
        note(`enqueue one at a time|${label}`, single / (t / 1000));
        note(`cpu:enqueue one at a time|${label}`, cpuPerJob(cpu, single));
        await store.close();
      }
      {
        const store = freshStore(`bulk-${n++}`, bare);
        const client = new Client({ store });
        let cpu = process.cpuUsage();
        const t = await msAsync(async () => {
          for (let i = 0; i < jobs; i += 1000) await client.enqueueMany(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ task: noop, payload })));
        });
        note(`bulk enqueue, chunks of 1,000|${label}`, jobs / (t / 1000));
        note(`cpu:bulk enqueue, chunks of 1,000|${label}`, cpuPerJob(cpu, jobs));
        cpu = process.cpuUsage();
        const worker = new Worker({ store, tasks: [noop], concurrency: 50, burst: true, maintenance: false });
        const d = await msAsync(async () => {
          await worker.start();
          await worker.finished();
        });
        note(`drain, 1 in-process worker, concurrency 50|${label}`, jobs / (d / 1000));
        note(`cpu:drain, 1 in-process worker, concurrency 50|${label}`, cpuPerJob(cpu, jobs));
        await store.close();
      }
      console.error(`round ${round + 1} ${label} triggers: ${[...series.entries()].filter(([k]) => k.endsWith(`|${label}`) && !k.startsWith("cpu:")).map(([k, v]) => `${k.split("|")[0]} ${Math.round(v[v.length - 1] ?? 0)}`).join(", ")}`);
    }
  }
  console.log(`\n${machineReport()}\n- command: \`node --import tsx bench/sqlite-load.ts --part writes --jobs ${jobs} --rounds ${rounds}${values.dir === undefined ? "" : ` --dir ${values.dir}`}\`\n`);
  console.log("| median (min–max) | without triggers | with triggers | ratio |\n|---|---:|---:|---:|");
  for (const key of [...new Set([...series.keys()].map((k) => k.split("|")[0] ?? ""))].sort((a, b) => Number(a.startsWith("cpu:")) - Number(b.startsWith("cpu:")))) {
    const without = series.get(`${key}|without`) ?? [];
    const withT = series.get(`${key}|with`) ?? [];
    const cell = (v: number[]): string => `${Math.round(median(v)).toLocaleString("en")} (${Math.round(Math.min(...v)).toLocaleString("en")}–${Math.round(Math.max(...v)).toLocaleString("en")})`;
    const name = key.startsWith("cpu:") ? `${key.slice(4)}: CPU µs per job` : `${key}: jobs/s`;
    console.log(`| ${name} | ${cell(without)} | ${cell(withT)} | ${(median(withT) / median(without)).toFixed(2)} |`);
  }
}

/**
 * The statements' own cost, without fsync: CPU µs per row of an insert, a claim-like and a
 * completion-like update, in memory, one transaction each, with and without what 006 adds.
 */
function rows(rounds: number): void {
  const n = 50_000;
  const series = new Map<string, number[]>();
  const cpuUs = (fn: () => void): number => {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  };
  for (let round = 0; round < rounds; round++) {
    for (const bare of round % 2 === 0 ? [true, false] : [false, true]) {
      const db = new Database(":memory:");
      migrate(db);
      if (bare) {
        for (const trigger of COUNTING) db.exec(`DROP TRIGGER ${trigger}`);
        db.exec("DROP INDEX jobs_status_task");
      }
      const id = (i: number): string => `job_${String(i).padStart(8, "0")}`;
      const insert = db.prepare(`INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff, created_at,
          enqueued_at, meta, result_ttl_s, failure_ttl_s, position) VALUES (?, ?, 'default', 'QUEUED', '{}', 3, 1000, '{}', 1, 1, '{}', 60, 60, ?)`);
      const claim = db.prepare("UPDATE jobs SET status = 'PROCESSING', position = NULL WHERE id = ?");
      const complete = db.prepare("UPDATE jobs SET status = 'COMPLETED', completed_at = ? WHERE id = ?");
      const label = bare ? "without" : "with";
      const note = (key: string, value: number): void => void series.set(`${key}|${label}`, [...(series.get(`${key}|${label}`) ?? []), value]);
      note("insert (enqueue)", cpuUs(() => db.transaction(() => { for (let i = 0; i < n; i++) insert.run(id(i), `task-${i % 10}`, i); })()));
      note("status update (claim)", cpuUs(() => db.transaction(() => { for (let i = 0; i < n; i++) claim.run(id(i)); })()));
      note("status update to COMPLETED (settlement)", cpuUs(() => db.transaction(() => { for (let i = 0; i < n; i++) complete.run(1_000_000 + i * 10, id(i)); })()));
      db.close();
    }
  }
  console.log(`\n- command: \`node --import tsx bench/sqlite-load.ts --part rows --rounds ${rounds}\`\n`);
  console.log("| CPU µs per row, median (min–max) | without triggers and index | with (006) | difference |\n|---|---:|---:|---:|");
  for (const key of [...new Set([...series.keys()].map((k) => k.split("|")[0]))]) {
    const without = series.get(`${key}|without`) ?? [];
    const withT = series.get(`${key}|with`) ?? [];
    const cell = (v: number[]): string => `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`;
    console.log(`| ${key} | ${cell(without)} | ${cell(withT)} | +${(median(withT) - median(without)).toFixed(1)} |`);
  }
}

try {
  if (part === "rows" || part === "both") rows(Number(values.rounds ?? 5));
  if (part === "reads" || part === "both") await reads(Number(values.jobs ?? 1_000_000));
  if (part === "writes" || part === "both") await writes(Number(values.jobs ?? 20_000) > 100_000 ? 20_000 : Number(values.jobs ?? 20_000), Number(values.rounds ?? 5));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
