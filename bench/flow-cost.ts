// What dependencies cost (`npm run bench:flows`): the drain of plain jobs (one in-process worker,
// concurrency 50, maintenance on) by this build and, with --before DIR, by a build of an earlier
// version (a compiled dist/ folder) in the same run, rounds alternating; then the throughput of
// flows of one parent and 100 children (enqueue and drain) on Redis and on SQLite.
// Flags: --jobs N (default 20000), --flows N (default 100), --rounds N (default 3), --before DIR.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisServer } from "../test/support/redis-server.js";
import { loadBuild, type Build } from "./build-loader.js";
import { median, wallMs } from "./stats.js";


const { values } = parseArgs({ options: { jobs: { type: "string" }, flows: { type: "string" }, rounds: { type: "string" }, before: { type: "string" } } });
const JOBS = Number(values.jobs ?? 20_000);
const FLOWS = Number(values.flows ?? 100);
const ROUNDS = Number(values.rounds ?? 3);


const builds = [await loadBuild("this build", join(import.meta.dirname, "../dist"))];
if (values.before !== undefined) builds.unshift(await loadBuild("before", values.before));
const dir = mkdtempSync(join(tmpdir(), "caudex-flow-cost-"));
const server = await RedisServer.start();
let n = 0;

async function openStore(build: Build, kind: "redis" | "sqlite") {
  return kind === "redis" ? build.RedisStore.connect({ url: server.url, namespace: `cost-${n++}` }) : new build.SqliteStore({ path: join(dir, `cost-${n++}.db`) });
}

/** Jobs per second of one drain of `JOBS` plain jobs. */
async function drainPlain(build: Build, kind: "redis" | "sqlite"): Promise<number> {
  const store = await openStore(build, kind);
  const noop = build.defineTask("noop", () => null);
  const client = new build.Client({ store });
  try {
    for (let i = 0; i < JOBS; i += 1000) await client.enqueueMany(Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({ task: noop, payload: { i, j } })));
    const worker = new build.Worker({ store, tasks: [noop], concurrency: 50, burst: true, maintenance: true });
    const start = wallMs();
    await worker.start();
    await worker.finished();
    return JOBS / ((wallMs() - start) / 1000);
  } finally {
    await store.close();
  }
}

/** Jobs per second of enqueueing `FLOWS` flows of a parent and 100 children, and of draining them. */
async function flows(build: Build, kind: "redis" | "sqlite"): Promise<{ enqueue: number; drain: number }> {
  const store = await openStore(build, kind);
  const child = build.defineTask("child", () => 1);
  const parent = build.defineTask("parent", async (_p: unknown, ctx) => (await ctx.dependencies()).length);
  const client = new build.Client({ store });
  try {
    let start = wallMs();
    for (let i = 0; i < FLOWS; i++) await client.enqueueFlow({ task: parent, payload: {}, children: Array.from({ length: 100 }, (_, j) => ({ task: child, payload: { j } })) });
    const enqueue = (FLOWS * 101) / ((wallMs() - start) / 1000);
    const worker = new build.Worker({ store, tasks: [child, parent], concurrency: 50, burst: true, maintenance: true });
    start = wallMs();
    await worker.start();
    await worker.finished();
    return { enqueue, drain: (FLOWS * 101) / ((wallMs() - start) / 1000) };
  } finally {
    await store.close();
  }
}

const plain = new Map<string, number[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const kind of ["redis", "sqlite"] as const) {
      for (const build of order) {
        const rate = await drainPlain(build, kind);
        const key = `${kind}|${build.label}`;
        plain.set(key, [...(plain.get(key) ?? []), rate]);
        console.error(`round ${round + 1} ${kind} ${build.label}: ${Math.round(rate)} jobs/s`);
      }
    }
  }
  console.log(`Drain of ${JOBS} plain jobs, one worker, concurrency 50 (median of ${ROUNDS}, jobs/s):`);
  for (const kind of ["redis", "sqlite"]) {
    const cells = builds.map((b) => `${b.label} ${Math.round(median(plain.get(`${kind}|${b.label}`) ?? []))}`);
    const [first, last] = [builds[0], builds[builds.length - 1]].map((b) => median(plain.get(`${kind}|${b?.label}`) ?? []));
    console.log(`  ${kind.padEnd(6)} ${cells.join(", ")}${builds.length > 1 ? `; ratio ${((last ?? 0) / (first ?? 1)).toFixed(3)}` : ""}`);
  }
  const current = builds[builds.length - 1] as Build;
  console.log(`Flows of one parent and 100 children (${FLOWS} flows, ${FLOWS * 101} jobs; median of ${ROUNDS}):`);
  for (const kind of ["redis", "sqlite"] as const) {
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await flows(current, kind));
    console.log(`  ${kind.padEnd(6)} enqueue ${Math.round(median(runs.map((r) => r.enqueue)))} jobs/s, drain ${Math.round(median(runs.map((r) => r.drain)))} jobs/s (${Math.round(median(runs.map((r) => r.drain)) / 101)} flows/s)`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
