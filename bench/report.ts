// Renders results as Markdown tables: Caudex against BullMQ with ratios and bars (Redis passes),
// and absolute figures (SQLite). The same text goes to the console and to docs/benchmarks.md.
import { METRICS, type Metric } from "./metrics.js";
import { summarise, type Summary } from "./stats.js";

/** Per-round values of every metric, for one system in one pass. */
export type Series = Map<string, number[]>;

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(s: Summary, m: Metric): string {
  return `${format(s.median, m.digits)} (${format(s.min, m.digits)}–${format(s.max, m.digits)})`;
}

function verdict(m: Metric, ours: Summary, ratio: number): string {
  const checks: string[] = [];
  if (m.ratioBar !== undefined) {
    const met = m.higherIsBetter ? ratio >= m.ratioBar : ratio <= m.ratioBar;
    checks.push(`${m.higherIsBetter ? "≥" : "≤"} ${m.ratioBar.toFixed(1)}x: ${met ? "met" : "NOT met"}`);
  }
  if (m.absoluteBar !== undefined) {
    checks.push(`< ${m.absoluteBar} ${m.unit}: ${ours.median < m.absoluteBar ? "met" : "NOT met"}`);
  }
  return checks.join("; ");
}

/** Caudex against BullMQ: median (range), ratio Caudex/BullMQ and the bar. */
export function comparisonTable(caudex: Series, bullmq: Series): string {
  const lines = ["| scenario | unit | Caudex median (range) | BullMQ median (range) | Caudex/BullMQ | bar |", "|---|---|---:|---:|---:|---|"];
  for (const m of METRICS) {
    const ours = caudex.get(m.key);
    const theirs = bullmq.get(m.key);
    if (ours === undefined || theirs === undefined) continue;
    const a = summarise(ours);
    const b = summarise(theirs);
    const ratio = a.median / b.median;
    lines.push(`| ${m.label} | ${m.unit} | ${cell(a, m)} | ${cell(b, m)} | ${format(ratio, 2)}x | ${verdict(m, a, ratio)} |`);
  }
  return lines.join("\n");
}

/** Caudex alone (SQLite): median (range). */
export function absoluteTable(series: Series): string {
  const lines = ["| scenario | unit | Caudex on SQLite, median (range) |", "|---|---|---:|"];
  for (const m of METRICS) {
    const values = series.get(m.key);
    if (values !== undefined) lines.push(`| ${m.label} | ${m.unit} | ${cell(summarise(values), m)} |`);
  }
  return lines.join("\n");
}
