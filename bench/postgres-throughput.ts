// `npm run bench:postgres`: Caudex on PostgreSQL beside SQLite and Redis, in the same run and
// the same process: enqueue one at a time, enqueue in bulk, and drains at concurrency 1 and 50
// by an in-process Worker. Each store keeps its durable settings (PostgreSQL: fsync and
// synchronous_commit on; SQLite: WAL, synchronous=FULL; Redis: AOF appendfsync everysec). The
// stores take turns within each round, in an order that rotates; medians and ranges are printed
// as Markdown. Flags: --rounds N, --quick.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Store } from "../src/core/store.js";
import { PostgresServer, postgresBinDir } from "../test/support/postgres-server.js";
import { RedisServer } from "../test/support/redis-server.js";
import { Client, PostgresStore, RedisStore, SqliteStore, Worker, defineTask } from "./caudex-build.js";
import { machineReport } from "./machine.js";
import { summarise } from "./stats.js";

const { values } = parseArgs({ options: { rounds: { type: "string" }, quick: { type: "boolean", default: false } } });
const quick = values.quick === true;
const rounds = Number(values.rounds ?? (quick ? 1 : 5));
const SIZES = quick ? { one: 200, bulk: 2000, drain1: 200, drain50: 1000 } : { one: 1000, bulk: 10_000, drain1: 1000, drain50: 5000 };
const PAYLOAD = { projectId: "42", userId: "7", kind: "report", pages: [1, 2, 3] };
const CHUNK = 1000;
const noop = defineTask("noop", () => null);

type StoreName = "postgres" | "sqlite" | "redis";
const SCENARIOS = [
  { key: "one", label: "enqueue one at a time", jobs: SIZES.one },
  { key: "bulk", label: `enqueue in bulk (enqueueMany of ${CHUNK})`, jobs: SIZES.bulk },
  { key: "drain1", label: "drain, concurrency 1", jobs: SIZES.drain1 },
  { key: "drain50", label: "drain, concurrency 50", jobs: SIZES.drain50 },
] as const;
type ScenarioKey = (typeof SCENARIOS)[number]["key"];

const dir = mkdtempSync(join(tmpdir(), "caudex-bench-pg-"));
const postgres = await PostgresServer.start({ durability: "durable" });
const redis = await RedisServer.start({ appendfsync: "everysec" });
let fresh = 0;

/** An empty store of each kind: a new schema, a new SQLite file, a new Redis namespace. */
async function openStore(name: StoreName): Promise<Store> {
  fresh += 1;
  if (name === "postgres") return PostgresStore.connect({ url: postgres.url, schema: `bench_${fresh}` });
  if (name === "redis") return RedisStore.connect({ url: redis.url, namespace: `bench-${fresh}` });
  return new SqliteStore({ path: join(dir, `bench-${fresh}.db`) });
}

async function fill(client: InstanceType<typeof Client>, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += CHUNK) await client.enqueueMany(Array.from({ length: Math.min(CHUNK, jobs - i) }, () => ({ task: noop, payload: PAYLOAD })));
}

/** Runs one scenario on a fresh store; returns jobs per second. */
async function run(name: StoreName, scenario: ScenarioKey, jobs: number): Promise<number> {
  const store = await openStore(name);
  const client = new Client({ store });
  try {
    if (scenario === "one") {
      const started = performance.now();
      for (let i = 0; i < jobs; i++) await client.enqueue(noop, PAYLOAD);
      return jobs / ((performance.now() - started) / 1000);
    }
    if (scenario === "bulk") {
      const started = performance.now();
      await fill(client, jobs);
      return jobs / ((performance.now() - started) / 1000);
    }
    await fill(client, jobs);
    const worker = new Worker({ store, tasks: [noop], name: `bench-${fresh}`, concurrency: scenario === "drain1" ? 1 : 50, maxJobs: jobs });
    const started = performance.now();
    await worker.start();
    await worker.finished();
    const seconds = (performance.now() - started) / 1000;
    const completed = (await store.stats()).reduce((sum, q) => sum + q.counts.COMPLETED, 0);
    if (completed !== jobs) throw new Error(`${name} ${scenario}: ${completed} of ${jobs} jobs completed`);
    return jobs / seconds;
  } finally {
    await client.close();
  }
}

const names: StoreName[] = ["postgres", "sqlite", "redis"];
const results = new Map<string, number[]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const scenario of SCENARIOS) {
      // The order rotates every round, so that no store always runs first (or after a warm-up).
      const order = names.map((_, i) => names[(i + round) % names.length] as StoreName);
      for (const name of order) {
        const rate = await run(name, scenario.key, scenario.jobs);
        console.error(`round ${round + 1} ${scenario.key} ${name}: ${Math.round(rate)} jobs/s`);
        const key = `${scenario.key}/${name}`;
        results.set(key, [...(results.get(key) ?? []), rate]);
      }
    }
  }
} finally {
  await postgres.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const cell = (key: string): string => {
  const s = summarise(results.get(key) ?? []);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
};
const pgVersion = execFileSync(join(postgresBinDir() ?? "", "postgres"), ["--version"], { encoding: "utf8" }).trim();
const lines = [
  machineReport(),
  `- ${pgVersion}, fsync and synchronous_commit on (the defaults); pool of 10 connections`,
  `- ${rounds} round(s), jobs/s, medians with (min–max); command: \`npm run bench:postgres -- --rounds ${rounds}${quick ? " --quick" : ""}\``,
  "",
  "| scenario | jobs | PostgreSQL | SQLite | Redis (AOF everysec) |",
  "|---|---:|---:|---:|---:|",
  ...SCENARIOS.map((s) => `| ${s.label} | ${fmt(s.jobs)} | ${cell(`${s.key}/postgres`)} | ${cell(`${s.key}/sqlite`)} | ${cell(`${s.key}/redis`)} |`),
];
console.log(lines.join("\n"));
