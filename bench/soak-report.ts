// What the soak leaves behind: a CSV per store, an SVG per metric family, the verdict as a
// Markdown table (printed, and written into docs/soak.md with --write-docs).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterWarmup, judge, type Judgement, type Point, type Rule } from "./soak-analysis.js";
import { lineChartSvg, type ChartSeries } from "./soak-chart.js";
import type { Sample, StoreKind } from "./soak-rig.js";
import { median } from "./stats.js";

/** The samples of one store, in time order, each with its time `t` (seconds since the start). */
export interface StoreRun {
  store: StoreKind;
  rows: Array<Sample & { t: number }>;
}

/**
 * How each column is judged: the first matching pattern wins. The producer and the dashboard
 * tab stand in for the application and the browser: their memory is shown, not judged.
 */
const RULES: ReadonlyArray<[RegExp, Rule]> = [
  [/^rss_(producer|dashboard)_mb$/, "info"],
  [/^rss_.*_mb$/, "memory"],
  [/^redis_used_memory_mb$/, "memory"],
  [/^sqlite_(db|wal)_mb$/, "size"],
  [/_p99_ms$/, "latency"],
  [/^queued$/, "backlog"],
];

function ruleOf(column: string): Rule | null {
  return RULES.find(([pattern]) => pattern.test(column))?.[1] ?? null;
}

function columnsOf(run: StoreRun): string[] {
  return Object.keys(run.rows[0] ?? {}).filter((c) => c !== "t");
}

function pointsOf(run: StoreRun, column: string): Point[] {
  return run.rows.map((row) => ({ t: row.t, v: row[column] ?? NaN }));
}

/** Writes `<out>/<store>.csv`: one row per sample, one column per measurement. */
export function writeCsv(out: string, run: StoreRun): string {
  const columns = ["t", ...columnsOf(run)];
  const lines = [columns.join(","), ...run.rows.map((row) => columns.map((c) => (Number.isFinite(row[c]) ? Number((row[c] as number).toFixed(3)) : "")).join(","))];
  const path = join(out, `${run.store}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** Judges every judged column of every store after `warmupSeconds`. */
export function judgeRuns(runs: readonly StoreRun[], warmupSeconds: number, rate: number): Array<Judgement & { store: StoreKind }> {
  return runs.flatMap((run) =>
    columnsOf(run).flatMap((column) => {
      const rule = ruleOf(column);
      return rule === null ? [] : [{ ...judge(column, afterWarmup(pointsOf(run, column), warmupSeconds), rule, rate), store: run.store }];
    }),
  );
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "—");

/** The verdict as a Markdown table. */
export function verdictTable(judgements: ReadonlyArray<Judgement & { store: StoreKind }>): string {
  const lines = ["| store | series | rule | 2nd-quarter median | last-quarter median | last/2nd | slope per hour (± 2 SE) | growth %/h | verdict |", "|---|---|---|---:|---:|---:|---:|---:|---|"];
  for (const j of judgements) {
    lines.push(`| ${j.store} | ${j.series} | ${j.rule} | ${fmt(j.q2)} | ${fmt(j.q4)} | ${fmt(j.ratio)} | ${fmt(j.slopePerHour)} ± ${fmt(2 * j.slopeErrorPerHour)} | ${fmt(j.growthPctPerHour, 1)} | ${j.rule === "info" ? "shown, not judged (load generator)" : j.outcome === "flat" ? "flat" : j.outcome === "inconclusive" ? `inconclusive: ${j.why}` : `**BREACH**: ${j.why}`} |`);
  }
  return lines.join("\n");
}

/** Mean CPU and median RSS of every process after the warm-up, per store, as a Markdown table. */
export function processTable(runs: readonly StoreRun[], warmupSeconds: number): string {
  const lines = ["| store | process | CPU, mean % of one core | RSS, median MB |", "|---|---|---:|---:|"];
  for (const run of runs) {
    for (const column of columnsOf(run).filter((c) => c.startsWith("cpu_"))) {
      const name = column.slice(4, -4);
      const cpu = afterWarmup(pointsOf(run, column), warmupSeconds).map((p) => p.v);
      const rss = afterWarmup(pointsOf(run, `rss_${name}_mb`), warmupSeconds).map((p) => p.v);
      lines.push(`| ${run.store} | ${name.replace(/_/g, "-")} | ${fmt(cpu.reduce((s, v) => s + v, 0) / cpu.length, 1)} | ${fmt(median(rss), 1)} |`);
    }
  }
  return lines.join("\n");
}

function seriesOf(run: StoreRun, columns: readonly string[], name: (column: string) => string): ChartSeries[] {
  return columns.filter((c) => run.rows[0]?.[c] !== undefined).map((c) => ({ name: name(c), points: pointsOf(run, c) }));
}

/** Writes the charts into `out`; returns their file names. */
export function writeCharts(out: string, runs: readonly StoreRun[], warmupSeconds: number): string[] {
  const charts: Array<[string, string, string, ChartSeries[]]> = [];
  for (const run of runs) {
    const rss = columnsOf(run).filter((c) => c.startsWith("rss_"));
    charts.push([`memory-${run.store}.svg`, `RSS of every process, ${run.store}`, "MB", seriesOf(run, rss, (c) => c.slice(4, -3).replace(/_/g, "-"))]);
    const latency = ["enqueue_p50_ms", "enqueue_p99_ms", "e2e_p50_ms", "e2e_p99_ms", "overview_p99_ms"];
    const names: Record<string, string> = { enqueue_p50_ms: "POST /jobs p50", enqueue_p99_ms: "POST /jobs p99", e2e_p50_ms: "enqueue→complete p50", e2e_p99_ms: "enqueue→complete p99", overview_p99_ms: "overview refresh p99" };
    charts.push([`latency-${run.store}.svg`, `Latencies per 10 s interval, ${run.store}`, "ms", seriesOf(run, latency, (c) => names[c] ?? c)]);
  }
  const across = (columns: readonly string[], name: (store: string, column: string) => string) => runs.flatMap((run) => seriesOf(run, columns, (c) => name(run.store, c)));
  charts.push(["store-size.svg", "Redis used_memory and SQLite file sizes", "MB", across(["redis_used_memory_mb", "sqlite_db_mb", "sqlite_wal_mb"], (_s, c) => ({ redis_used_memory_mb: "redis used_memory", sqlite_db_mb: "sqlite file", sqlite_wal_mb: "sqlite -wal" })[c] ?? c)]);
  charts.push(["backlog.svg", "Backlog (QUEUED jobs) at each sample", "jobs", across(["queued"], (s) => s)]);
  charts.push(["retained.svg", "COMPLETED jobs kept (retention reached when flat)", "jobs", across(["completed_kept"], (s) => s)]);
  const machine = runs[0] === undefined ? [] : seriesOf(runs[0], ["machine_busy_pct"], () => "whole machine (every process)");
  const own = runs.map((run) => ({ name: `soak, ${run.store} side`, points: run.rows.map((row) => ({ t: row.t, v: columnsOf(run).filter((c) => c.startsWith("cpu_")).reduce((sum, c) => sum + (row[c] ?? 0), 0) / (row.machine_cores ?? 1) })) }));
  charts.push(["machine.svg", "CPU busy, % of all cores (the machine is shared)", "%", [...machine, ...own]]);
  for (const [file, title, unit, series] of charts) writeFileSync(join(out, file), lineChartSvg({ title, unit, series, warmupSeconds }));
  return charts.map(([file]) => file);
}

const DOC = new URL("../docs/soak.md", import.meta.url);
const BEGIN = "<!-- results:begin (generated by npm run soak -- --write-docs) -->";
const END = "<!-- results:end -->";

/** Copies the charts to docs/soak/ and replaces the generated section of docs/soak.md. */
export function writeSoakDoc(out: string, charts: readonly string[], results: string): void {
  const current = existsSync(DOC) ? readFileSync(DOC, "utf8") : `# Soak\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/soak.md lacks the markers ${BEGIN} … ${END}`);
  const dir = new URL("../docs/soak/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  for (const file of charts) copyFileSync(join(out, file), new URL(file, dir));
  const images = charts.map((file) => `![${file.replace(/\.svg$/, "")}](soak/${file})`).join("\n\n");
  writeFileSync(DOC, `${current.slice(0, start + BEGIN.length)}\n${results}\n\n${images}\n${current.slice(end)}`);
}
