// Quick SQLite figures: enqueue (single, many) and drain with one in-process worker at
// concurrency 1 and 50. Run: node --import tsx bench/sqlite-quick.ts [jobs]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../src/core/client.js";
import { defineTask } from "../src/core/task.js";
import { Worker } from "../src/core/worker.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";

const jobs = Number(process.argv[2] ?? 5000);
const noop = defineTask("noop", () => null);
const dir = mkdtempSync(join(tmpdir(), "caudex-bench-"));

async function fresh(name: string): Promise<{ store: SqliteStore; client: Client }> {
  const store = new SqliteStore({ path: join(dir, `${name}.db`) });
  return { store, client: new Client({ store }) };
}

async function rate(label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(36)} ${Math.round(n / seconds).toString().padStart(8)} jobs/s`);
}

const payload = { projectId: "42", userId: "7", kind: "report" };
{
  const { store, client } = await fresh("single");
  await rate("enqueue one at a time", jobs, async () => {
    for (let i = 0; i < jobs; i++) await client.enqueue(noop, payload);
  });
  await store.close();
}
{
  const { store, client } = await fresh("bulk");
  await rate("enqueueMany (chunks of 1,000)", jobs, async () => {
    for (let i = 0; i < jobs; i += 1000)
      await client.enqueueMany(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ task: noop, payload })));
  });
  await store.close();
}
for (const concurrency of [1, 50]) {
  const { store, client } = await fresh(`drain-${concurrency}`);
  for (let i = 0; i < jobs; i += 1000)
    await client.enqueueMany(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ task: noop, payload })));
  const worker = new Worker({ store, tasks: [noop], concurrency, burst: true, maintenance: false });
  await rate(`drain, concurrency ${concurrency}`, jobs, async () => {
    await worker.start();
    await worker.finished();
  });
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
