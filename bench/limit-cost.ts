// What per-key limits cost (`npm run bench:limits`): the drain of plain jobs by this build and,
// with --before DIR, by an earlier build in the same run, rounds alternating; then the drain of
// limited jobs — one key (concurrency 1,000) and 100 keys (concurrency 5 each) — on Redis and
// on SQLite. One in-process worker at concurrency 50; wall time and the worker's CPU per job.
// Flags: --jobs N (default 20000), --rounds N (default 3), --before DIR.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisServer } from "../test/support/redis-server.js";
import { loadBuild, type Build } from "./build-loader.js";
import { median, wallMs } from "./stats.js";

type Shape = "plain" | "one key" | "100 keys";

const { values } = parseArgs({ options: { jobs: { type: "string" }, rounds: { type: "string" }, before: { type: "string" } } });
const JOBS = Number(values.jobs ?? 20_000);
const ROUNDS = Number(values.rounds ?? 3);


const current = await loadBuild("this build", join(import.meta.dirname, "../dist"));
const builds = values.before === undefined ? [current] : [await loadBuild("before", values.before), current];
const dir = mkdtempSync(join(tmpdir(), "caudex-limit-cost-"));
const server = await RedisServer.start();
let n = 0;

/** Jobs per second and worker CPU µs per job of one drain of `JOBS` jobs of a shape. */
async function drain(build: Build, kind: "redis" | "sqlite", shape: Shape): Promise<{ rate: number; cpu: number }> {
  const store = kind === "redis" ? await build.RedisStore.connect({ url: server.url, namespace: `cost-${n++}` }) : new build.SqliteStore({ path: join(dir, `cost-${n++}.db`) });
  const noop = build.defineTask("noop", () => null);
  const client = new build.Client({ store });
  try {
    if (shape !== "plain") await client.limits.set("tenant", null, { concurrency: shape === "one key" ? 1000 : 5 });
    for (let i = 0; i < JOBS; i += 1000) {
      await client.enqueueMany(Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({
        task: noop,
        payload: { i, j },
        options: shape === "plain" ? {} : { limitKeys: { tenant: shape === "one key" ? "only" : `t${(i + j) % 100}` } },
      })));
    }
    const worker = new build.Worker({ store, tasks: [noop], concurrency: 50, burst: true, maintenance: true });
    const cpu = process.cpuUsage();
    const start = wallMs();
    await worker.start();
    await worker.finished();
    const used = process.cpuUsage(cpu);
    return { rate: JOBS / ((wallMs() - start) / 1000), cpu: (used.user + used.system) / JOBS };
  } finally {
    await store.close();
  }
}

const series = new Map<string, Array<{ rate: number; cpu: number }>>();
const add = (key: string, value: { rate: number; cpu: number }) => series.set(key, [...(series.get(key) ?? []), value]);
const summary = (key: string) => {
  const runs = series.get(key) ?? [];
  return `${Math.round(median(runs.map((r) => r.rate)))} jobs/s, ${median(runs.map((r) => r.cpu)).toFixed(1)} µs CPU/job`;
};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ["redis", "sqlite"] as const) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const figures = await drain(build, kind, "plain");
        add(`${kind}|plain|${build.label}`, figures);
        console.error(`round ${round + 1} ${kind} plain ${build.label}: ${Math.round(figures.rate)} jobs/s`);
      }
      for (const shape of ["one key", "100 keys"] as const) {
        const figures = await drain(current, kind, shape);
        add(`${kind}|${shape}|this build`, figures);
        console.error(`round ${round + 1} ${kind} ${shape}: ${Math.round(figures.rate)} jobs/s`);
      }
    }
  }
  console.log(`Drain of ${JOBS} jobs, one worker, concurrency 50 (median of ${ROUNDS}):`);
  for (const kind of ["redis", "sqlite"]) {
    for (const build of builds) console.log(`  ${kind.padEnd(6)} plain jobs, ${build.label.padEnd(10)} ${summary(`${kind}|plain|${build.label}`)}`);
    for (const shape of ["one key", "100 keys"]) console.log(`  ${kind.padEnd(6)} limited, ${shape.padEnd(13)} ${summary(`${kind}|${shape}|this build`)}`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
