// Steady-load soak (`npm run soak`): on each store, side by side for the whole run, a real
// `caudex serve` with short retention, two `caudex worker` processes, a producer enqueuing over
// HTTP at a steady rate and an open dashboard (live stream + overview refreshes). Every 10 s it
// samples RSS of every process, Redis used_memory, the SQLite file and WAL sizes, latencies and
// the backlog; at the end it writes a CSV per store and SVG curves, and judges every series
// after the warm-up (bench/soak-analysis.ts). Exits 1 on a breach. Never part of npm test.
//   npm run soak -- [--minutes 60] [--stores redis,sqlite] [--rate 25] [--out DIR]
//                   [--result-ttl 60] [--write-docs]
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { machineReport } from "./machine.js";
import { judgeRuns, processTable, verdictTable, writeCharts, writeCsv, writeSoakDoc, type StoreRun } from "./soak-report.js";
import { MachineCpu, SoakRig, type StoreKind } from "./soak-rig.js";
import { LATENCY_FLOOR_MS, LATENCY_RATIO, MEMORY_GROWTH_PCT_PER_HOUR, MEMORY_RATIO, SIZE_RATIO, SLOPE_FLOOR_MB_PER_HOUR } from "./soak-analysis.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    stores: { type: "string", default: "redis,sqlite" },
    rate: { type: "string", default: "25" },
    out: { type: "string", default: ".bench/soak" },
    "result-ttl": { type: "string", default: "60" },
    "sample-seconds": { type: "string", default: "10" },
    "write-docs": { type: "boolean", default: false },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const resultTtlSeconds = Number(values["result-ttl"]);
const sampleSeconds = Number(values["sample-seconds"]);
const stores = values.stores.split(",").map((s) => s.trim()).filter(Boolean);
const problems = [
  minutes > 0 && minutes <= 24 * 60 ? "" : "--minutes must be a number of minutes, above 0 and at most 1440",
  rate > 0 && rate <= 1000 ? "" : "--rate must be jobs per second per store, above 0 and at most 1000",
  Number.isInteger(resultTtlSeconds) && resultTtlSeconds >= 1 ? "" : "--result-ttl must be a whole number of seconds, at least 1",
  sampleSeconds >= 1 && sampleSeconds <= 300 ? "" : "--sample-seconds must be between 1 and 300",
  stores.length > 0 && stores.every((s) => s === "redis" || s === "sqlite") && new Set(stores).size === stores.length ? "" : "--stores takes redis, sqlite or redis,sqlite",
].filter(Boolean);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(2);
}

// The first 10 % of the run, and never less than what fills by design plus half a minute:
// until the first jobs are pruned, the kept jobs (and so memory and the file) grow; on Redis
// the event stream grows to its cap too (XADD MAXLEN ~ 10,000, about 3 events per job here).
const REDIS_STREAM_CAP = 10_000;
const EVENTS_PER_JOB = 3;
const fillSeconds = Math.max(resultTtlSeconds, stores.includes("redis") ? REDIS_STREAM_CAP / (EVENTS_PER_JOB * rate) : 0);
const warmupSeconds = Math.ceil(Math.max(minutes * 6, fillSeconds + 30));
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rigs = stores.map((store) => new SoakRig({ store: store as StoreKind, rate, resultTtlSeconds }));
const runs: StoreRun[] = rigs.map((rig) => ({ store: rig.options.store, rows: [] }));
const totals: Array<Record<string, unknown>> = [];
let failure: string | null = null;

console.log(`soak: ${minutes} min, ${stores.length > 1 ? `stores ${stores.join(" + ")} side by side` : `store ${stores.join("")}`}, ${rate} jobs/s each, retention ${resultTtlSeconds} s, warm-up ${warmupSeconds} s, a sample every ${sampleSeconds} s, out ${out}`);
try {
  for (const rig of rigs) await rig.start();
  const machine = new MachineCpu();
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  for (let k = 1; started + k * sampleSeconds * 1000 <= endAt; k++) {
    while (Date.now() < started + k * sampleSeconds * 1000 && rigs.every((r) => r.failure === null)) await sleep(Math.min(500, started + k * sampleSeconds * 1000 - Date.now()));
    failure = rigs.find((r) => r.failure !== null)?.failure ?? null;
    if (failure !== null) break;
    const samples = await Promise.all(rigs.map((rig) => rig.sample()));
    const t = (Date.now() - started) / 1000;
    const whole = machine.sample();
    samples.forEach((sample, i) => runs[i]?.rows.push({ ...sample, ...whole, t }));
    if (k % Math.max(1, Math.round(60 / sampleSeconds)) === 0) {
      const line = samples.map((s, i) => `${stores[i]}: serve ${s.rss_serve_mb?.toFixed(0)} MB, workers ${s.rss_worker_1_mb?.toFixed(0)}/${s.rss_worker_2_mb?.toFixed(0)} MB, ${s.redis_used_memory_mb !== undefined ? `used_memory ${s.redis_used_memory_mb.toFixed(1)} MB` : `db ${s.sqlite_db_mb?.toFixed(1)} MB + wal ${s.sqlite_wal_mb?.toFixed(1)} MB`}, POST p99 ${s.enqueue_p99_ms?.toFixed(1)} ms, e2e p99 ${s.e2e_p99_ms?.toFixed(0)} ms, queued ${s.queued}, kept ${s.completed_kept}`);
      console.log(`[${(t / 60).toFixed(1)} min] ${line.join(" | ")}`);
    }
  }
} catch (error) {
  failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
} finally {
  for (const rig of rigs) totals.push(await rig.stop().catch(() => ({})));
}

const csvs = runs.map((run) => writeCsv(out, run));
const charts = writeCharts(out, runs, warmupSeconds);
const judgements = judgeRuns(runs, warmupSeconds, rate);
// Beyond the curves: the load must have been what was asked, and nothing may have failed.
const inconclusive = judgements.filter((j) => j.outcome === "inconclusive").length;
const breaches = judgements.filter((j) => j.outcome === "breach").map((j) => `${j.store} ${j.series}: ${j.why}`);
runs.forEach((run, i) => {
  const judged = run.rows.filter((row) => row.t >= warmupSeconds);
  const sum = (column: string) => judged.reduce((s, row) => s + (Number.isFinite(row[column]) ? (row[column] as number) : 0), 0);
  const achieved = judged.length === 0 ? 0 : judged.reduce((s, row) => s + (row.enqueued_per_s ?? 0), 0) / judged.length;
  if (achieved < rate * 0.95) breaches.push(`${run.store}: the producer achieved ${achieved.toFixed(1)} jobs/s of ${rate}`);
  const t = totals[i] ?? {};
  for (const [what, count] of [["enqueue errors", t.errors], ["enqueues dropped (64 in flight)", t.dropped], ["failed overview refreshes", sum("overview_errors")], ["event stream reconnects", sum("events_reconnects")], ["FAILED jobs", Math.max(0, ...run.rows.map((r) => r.failed_kept ?? 0))]] as const) {
    if (typeof count === "number" && count > 0) breaches.push(`${run.store}: ${count} ${what}`);
  }
});
if (failure !== null) breaches.unshift(`the run stopped early: ${failure}`);

const fmtMean = (values: readonly number[]) => {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? "—" : (finite.reduce((sum, v) => sum + v, 0) / finite.length).toFixed(1);
};
const lastT = Math.max(0, ...runs.flatMap((run) => run.rows.map((row) => row.t)));
const enqueued = runs.map((run, i) => `${run.store} ${typeof totals[i]?.ok === "number" ? totals[i].ok.toLocaleString("en-US") : "?"}`).join(", ");
const results = [
  machineReport(),
  `- command: \`npm run soak -- ${process.argv.slice(2).join(" ")}\`${minutes < 60 ? ` (a ${minutes}-minute validation run; the one-hour soak is \`npm run soak\`)` : ""}`,
  `- load: ${rate} jobs/s per store${stores.length > 1 ? ", the stores side by side" : ""}, ${(lastT / 60).toFixed(1)} min sampled, warm-up ${warmupSeconds} s (shaded in the plots), retention ${resultTtlSeconds} s; jobs enqueued: ${enqueued}`,
  `- the machine (shared with other work): CPU busy ${fmtMean(runs[0]?.rows.map((r) => r.machine_busy_pct ?? NaN) ?? [])} % of all cores on average, load average ${fmtMean(runs[0]?.rows.map((r) => r.machine_load1 ?? NaN) ?? [])}; this soak's processes ${fmtMean(runs.flatMap((run) => run.rows.map((row) => Object.keys(row).filter((c) => c.startsWith("cpu_")).reduce((sum, c) => sum + (row[c] ?? 0), 0))))} % of one core per store`,
  `- bars (after the warm-up): memory and SQLite files grow < ${MEMORY_GROWTH_PCT_PER_HOUR} %/h (least-squares slope, its 95 % interval, and at least ${SLOPE_FLOOR_MB_PER_HOUR} MB/h), last/2nd quarter median ≤ ${MEMORY_RATIO} (memory) or ≤ ${SIZE_RATIO} (files); p99 last/2nd quarter ≤ ${LATENCY_RATIO}× or < +${LATENCY_FLOOR_MS} ms; backlog under one second of production; no enqueue error, failed job, failed overview refresh or event-stream reconnect`,
  `- verdict: ${breaches.length === 0 ? "**flat**: no breach" : `**${breaches.length} breach(es)**`}${inconclusive > 0 ? `; ${inconclusive} series inconclusive (the run is too short to bound their slope under the bar)` : ""}`,
  "",
  verdictTable(judgements),
  "",
  processTable(runs, warmupSeconds),
].join("\n");
console.log(`\n${results}\n`);
console.log(`CSV: ${csvs.join(", ")}\nplots: ${charts.map((c) => join(out, c)).join(", ")}`);
if (values["write-docs"]) writeSoakDoc(out, charts, results);
if (breaches.length > 0) {
  console.error(`\nBREACH:\n${breaches.map((b) => `- ${b}`).join("\n")}`);
  process.exit(1);
}
process.exit(0);
