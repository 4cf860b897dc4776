// The cost of tracing: drain throughput of no-op jobs (in-process worker, in-memory SQLite,
// concurrency 32) and single awaited enqueues, with `@opentelemetry/api` absent (its import fails,
// bench/without-opentelemetry.mjs), present without an SDK, and present with an SDK (batch
// processor, an exporter that drops spans). `--before <dir>` adds a checkout from before tracing
// existed, run in the same process as "absent" in alternating blocks, so the machine's load hits
// both alike. CPU time per job (user + system) is reported beside wall time: it is the steadier
// figure on a busy machine.
// Run: node --import tsx bench/tracing-cost.ts [--jobs 20000] [--blocks 5] [--rounds 3] [--before DIR]
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./stats.js";

type Mode = "absent" | "api" | "sdk";
type Lib = typeof import("../src/index.js");
interface Figures {
  drainJobsPerSecond: number;
  drainCpuMicrosPerJob: number;
  enqueueJobsPerSecond: number;
  enqueueCpuMicrosPerJob: number;
}

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    blocks: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    before: { type: "string" },
    child: { type: "boolean", default: false },
    mode: { type: "string", default: "absent" },
    src: { type: "string" },
  },
});
const jobs = Number(values.jobs);
const here = fileURLToPath(new URL(".", import.meta.url));
const own = join(here, "../src/index.ts");

/** One block: `jobs / 4` single enqueues, then a drain of `jobs` jobs by a burst worker. */
async function block(lib: Lib): Promise<Figures> {
  const noop = lib.defineTask("noop", () => null);
  const store = new lib.SqliteStore({ path: ":memory:" });
  const client = new lib.Client({ store });
  const singles = Math.max(1, Math.floor(jobs / 4));
  let started = performance.now();
  let cpu = process.cpuUsage();
  for (let i = 0; i < singles; i++) await client.enqueue(noop, {});
  const enqueueJobsPerSecond = singles / ((performance.now() - started) / 1000);
  const enqueueCpuMicrosPerJob = cpuMicros(cpu) / singles;
  for (let i = singles; i < jobs; i += 5000) await client.enqueueMany(Array.from({ length: Math.min(5000, jobs - i) }, () => ({ task: noop, payload: {} })));
  const worker = new lib.Worker({ store, tasks: [noop], concurrency: 32, burst: true, maintenance: false });
  started = performance.now();
  cpu = process.cpuUsage();
  await worker.start();
  await worker.finished();
  const drainJobsPerSecond = jobs / ((performance.now() - started) / 1000);
  const drainCpuMicrosPerJob = cpuMicros(cpu) / jobs;
  await store.close();
  return { drainJobsPerSecond, drainCpuMicrosPerJob, enqueueJobsPerSecond, enqueueCpuMicrosPerJob };
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

/** A tracer provider as an application sets one up, exporting to nowhere. */
async function registerSdk(): Promise<void> {
  const { context, trace } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const exporter = { export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: () => Promise.resolve() };
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** In a child process: a warm-up block per tree, then `blocks` blocks each, alternating the trees. */
async function child(mode: Mode, sources: string[]): Promise<Figures[][]> {
  if (mode === "sdk") await registerSdk();
  const libs: Lib[] = [];
  for (const src of sources) libs.push((await import(pathToFileURL(src).href)) as Lib);
  for (const lib of libs) await block(lib);
  const results: Figures[][] = libs.map(() => []);
  for (let i = 0; i < Number(values.blocks); i++) {
    const order = i % 2 === 0 ? libs.map((_, k) => k) : libs.map((_, k) => libs.length - 1 - k);
    for (const k of order) results[k]?.push(await block(libs[k] as Lib));
  }
  return results;
}

function spawn(mode: Mode, sources: string[]): Figures[][] {
  const hide = mode === "absent" ? ["--import", pathToFileURL(join(here, "without-opentelemetry.mjs")).href] : [];
  const args = [...hide, "--import", "tsx", fileURLToPath(import.meta.url), "--child", "--mode", mode, "--src", sources.join(","), "--jobs", String(jobs), "--blocks", String(values.blocks)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as Figures[][];
}

if (values.child) {
  console.log(JSON.stringify(await child(values.mode as Mode, (values.src ?? own).split(","))));
} else {
  // Each process: [variant names, mode, trees]; trees of one process alternate block by block.
  const processes: Array<[string[], Mode, string[]]> = [
    values.before === undefined ? [["absent"], "absent", [own]] : [["before tracing", "absent"], "absent", [join(resolve(values.before), "src/index.ts"), own]],
    [["api, no SDK"], "api", [own]],
    [["api + SDK"], "sdk", [own]],
  ];
  const results = new Map<string, Figures[]>();
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [names, mode, sources] of processes) {
      spawn(mode, sources).forEach((series, k) => {
        const name = names[k] as string;
        results.set(name, [...(results.get(name) ?? []), ...series]);
        const m = (pick: (f: Figures) => number): string => median(series.map(pick)).toFixed(1);
        console.error(`round ${round} ${name}: drain ${m((f) => f.drainJobsPerSecond)} jobs/s, ${m((f) => f.drainCpuMicrosPerJob)} µs CPU/job; enqueue ${m((f) => f.enqueueJobsPerSecond)} jobs/s, ${m((f) => f.enqueueCpuMicrosPerJob)} µs CPU/job`);
      });
    }
  }
  console.log(`\n${jobs} no-op jobs drained, ${Math.floor(jobs / 4)} single enqueues per block; medians of ${values.rounds} × ${values.blocks} blocks`);
  console.log("| variant | drain (jobs/s) | drain CPU (µs/job) | single enqueue (jobs/s) | enqueue CPU (µs/job) |\n|---|---|---|---|---|");
  for (const [name, series] of results) {
    const m = (pick: (f: Figures) => number): number => median(series.map(pick));
    console.log(`| ${name} | ${Math.round(m((f) => f.drainJobsPerSecond))} | ${m((f) => f.drainCpuMicrosPerJob).toFixed(1)} | ${Math.round(m((f) => f.enqueueJobsPerSecond))} | ${m((f) => f.enqueueCpuMicrosPerJob).toFixed(1)} |`);
  }
}
