import { Client } from "../src/core/client.js";
import { defineTask } from "../src/core/task.js";
import { Worker } from "../src/core/worker.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";
import { median } from "./stats.js";
const noop = defineTask("noop", () => null);
const jobs = 20000;
const TR = ["jobs_count_insert", "jobs_count_delete", "jobs_count_move"];
const res: Record<string, number[][]> = {};
const variants: Record<string, string[]> = { bare: [...TR.map((t) => `DROP TRIGGER ${t}`), "DROP INDEX jobs_status_task"], index: TR.map((t) => `DROP TRIGGER ${t}`), triggers: ["DROP INDEX jobs_status_task"], all: [] };
for (let r = 0; r < 4; r++) for (const [name, drops] of Object.entries(variants)) {
  const store = new SqliteStore({ path: ":memory:" });
  const db = (store as unknown as { db: { exec(s: string): void } }).db;
  for (const d of drops) db.exec(d);
  const client = new Client({ store, tasks: [noop] });
  let c = process.cpuUsage();
  for (let i = 0; i < jobs; i += 1000) await client.enqueueMany(Array.from({ length: 1000 }, () => ({ task: noop, payload: { a: 1 } })));
  let u = process.cpuUsage(c); const enq = (u.user + u.system) / jobs;
  const worker = new Worker({ store, tasks: [noop], concurrency: 50, burst: true, maintenance: false });
  c = process.cpuUsage();
  await worker.start(); await worker.finished();
  u = process.cpuUsage(c); const dr = (u.user + u.system) / jobs;
  (res[name] ??= []).push([enq, dr]);
  await store.close();
}
for (const [name, rows] of Object.entries(res)) console.log(name.padEnd(9), "bulk enqueue", median(rows.map((x) => x[0] ?? 0)).toFixed(1), "µs  drain", median(rows.map((x) => x[1] ?? 0)).toFixed(1), "µs", JSON.stringify(rows.map((x) => x.map((v) => Math.round(v)))));
