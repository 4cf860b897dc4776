// The cost of the worker's per-job log lines: drain throughput of no-op jobs on an in-memory
// SQLite store with the lines off (level warn), at info as text, and at info as JSON. Lines go to
// a stream that drops them, so this measures building and formatting, not the terminal.
// Run: node --import tsx bench/job-log-cost.ts [jobs] [rounds]
import { Client, consoleLogger, defineTask, SqliteStore, Worker, type Logger } from "../src/index.js";

const jobs = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const noop = defineTask("noop", () => null);
const sink = { write: () => true };

async function drain(logger: Logger): Promise<number> {
  const store = new SqliteStore({ path: ":memory:" });
  const client = new Client({ store });
  for (let i = 0; i < jobs; i += 5000) await client.enqueueMany(Array.from({ length: Math.min(5000, jobs - i) }, () => ({ task: noop, payload: {} })));
  const worker = new Worker({ store, tasks: [noop], concurrency: 32, burst: true, logger, maintenance: false });
  const started = performance.now();
  await worker.start();
  await worker.finished();
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return jobs / seconds;
}

const modes: Array<[string, () => Logger]> = [
  ["off (level warn)", () => consoleLogger({ level: "warn", stream: sink })],
  ["info, text", () => consoleLogger({ level: "info", stream: sink })],
  ["info, json", () => consoleLogger({ level: "info", json: true, stream: sink })],
];
for (let round = 1; round <= rounds; round++) {
  for (const [name, make] of modes) console.log(`round ${round} ${name}: ${Math.round(await drain(make()))} jobs/s`);
}
