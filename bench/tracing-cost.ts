// The cost of tracing: drain throughput of no-op jobs (in-process worker, in-memory SQLite) and
// single-enqueue throughput, with `@opentelemetry/api` absent (its import fails), present without
// an SDK, and present with an SDK (batch processor, an exporter that drops spans). Each figure is
// a fresh process; variants alternate within each round. `--before <dir>` adds a checkout of the
// repository from before tracing existed (its src/index.ts), run like "absent".
// Run: node --import tsx bench/tracing-cost.ts [--jobs 20000] [--rounds 5] [--before DIR] [--only "before tracing,absent"]
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./stats.js";

type Mode = "absent" | "api" | "sdk";
interface Figures {
  drainJobsPerSecond: number;
  /** CPU time (user + system) of the process per drained job: steadier than wall time on a busy machine. */
  drainCpuMicrosPerJob: number;
  enqueueJobsPerSecond: number;
  enqueueCpuMicrosPerJob: number;
}

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    before: { type: "string" },
    child: { type: "boolean", default: false },
    mode: { type: "string", default: "absent" },
    src: { type: "string" },
    only: { type: "string" },
  },
});
const jobs = Number(values.jobs);
const here = fileURLToPath(new URL(".", import.meta.url));

async function child(mode: Mode, src: string): Promise<Figures> {
  if (mode === "sdk") await registerSdk();
  const lib = (await import(pathToFileURL(src).href)) as typeof import("../src/index.js");
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

function run(mode: Mode, src: string): Figures {
  const hide = mode === "absent" ? ["--import", pathToFileURL(join(here, "without-opentelemetry.mjs")).href] : [];
  const args = [...hide, "--import", "tsx", fileURLToPath(import.meta.url), "--child", "--mode", mode, "--src", src, "--jobs", String(jobs)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as Figures;
}

if (values.child) {
  console.log(JSON.stringify(await child(values.mode as Mode, values.src ?? join(here, "../src/index.ts"))));
} else {
  const own = join(here, "../src/index.ts");
  const variants: Array<[string, Mode, string]> = [
    ...(values.before === undefined ? [] : ([["before tracing", "absent", join(resolve(values.before), "src/index.ts")]] as Array<[string, Mode, string]>)),
    ["absent", "absent", own],
    ["api, no SDK", "api", own],
    ["api + SDK", "sdk", own],
  ];
  const wanted = values.only?.split(",");
  if (wanted !== undefined) variants.splice(0, variants.length, ...variants.filter(([name]) => wanted.includes(name)));
  const results = new Map<string, Figures[]>();
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [name, mode, src] of variants) {
      const figures = run(mode, src);
      results.set(name, [...(results.get(name) ?? []), figures]);
      const f = (n: number): string => n.toFixed(1);
      console.error(`round ${round} ${name}: drain ${Math.round(figures.drainJobsPerSecond)} jobs/s (${f(figures.drainCpuMicrosPerJob)} µs CPU/job), enqueue ${Math.round(figures.enqueueJobsPerSecond)} jobs/s (${f(figures.enqueueCpuMicrosPerJob)} µs CPU/job)`);
    }
  }
  console.log(`\n${jobs} no-op jobs, in-memory SQLite, concurrency 32; medians of ${values.rounds} rounds`);
  console.log("| variant | drain (jobs/s) | drain CPU (µs/job) | single enqueue (jobs/s) | enqueue CPU (µs/job) |\n|---|---|---|---|---|");
  for (const [name, series] of results) {
    const m = (pick: (f: Figures) => number): number => median(series.map(pick));
    console.log(`| ${name} | ${Math.round(m((f) => f.drainJobsPerSecond))} | ${m((f) => f.drainCpuMicrosPerJob).toFixed(1)} | ${Math.round(m((f) => f.enqueueJobsPerSecond))} | ${m((f) => f.enqueueCpuMicrosPerJob).toFixed(1)} |`);
  }
}
