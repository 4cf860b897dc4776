// Judges the soak's series: after the warm-up, a least-squares slope per hour and the ratio of
// the last quarter's median to the second quarter's, against the "flat" thresholds below.
// Pure functions only; the soak (bench/soak.ts) gathers the samples and prints the verdict.
import { median } from "./stats.js";

/** One sample of a series: seconds since the run began, and the value. */
export interface Point {
  t: number;
  v: number;
}

/**
 * How a series is judged.
 * - `memory` (RSS, Redis used_memory): the slope, 95 % interval included, under
 *   MEMORY_GROWTH_PCT_PER_HOUR (and SLOPE_FLOOR_MB_PER_HOUR), and the last-quarter median within
 *   MEMORY_RATIO of the second quarter's.
 * - `size` (SQLite file, WAL): flat once retention is reached: the same slope test, and the
 *   quarters within SIZE_RATIO.
 * - `latency` (p99s): the last-quarter median of the per-interval p99 within LATENCY_RATIO of
 *   the second quarter's, or less than LATENCY_FLOOR_MS above it.
 * - `backlog` (QUEUED): the last-quarter median under one second of production.
 * - `info`: plotted and reported, never a breach.
 */
export type Rule = "memory" | "size" | "latency" | "backlog" | "info";

/** Memory may grow at most this much per hour (percent of the second quarter's median). */
export const MEMORY_GROWTH_PCT_PER_HOUR = 10;
/** Last quarter / second quarter, at most, for memory. */
export const MEMORY_RATIO = 1.1;
/** Last quarter / second quarter, at most, for the SQLite file. */
export const SIZE_RATIO = 1.05;
/** Last quarter / second quarter, at most, for a p99 latency. */
export const LATENCY_RATIO = 1.5;
/**
 * Below this many MB per hour a slope is no leak whatever its percentage: a few hundred KiB of
 * a small series (Redis used_memory of a few MB, a SQLite file of a few pages) is noise.
 */
export const SLOPE_FLOOR_MB_PER_HOUR = 1;
/**
 * A p99 that moved less than this is no drift whatever its ratio: on a shared 2-core machine,
 * scheduling alone moves a 10-second p99 by tens of milliseconds.
 */
export const LATENCY_FLOOR_MS = 25;

/**
 * The outcome for one series: `flat`; `inconclusive` when the run is too short to tell a
 * growth under the bar from one over it (the slope's 95 % interval straddles the bar; never a
 * breach); `breach`.
 */
export type Outcome = "flat" | "inconclusive" | "breach";

/** The verdict on one series. */
export interface Judgement {
  series: string;
  rule: Rule;
  samples: number;
  q2: number;
  q4: number;
  /** q4 / q2 (NaN when q2 is 0). */
  ratio: number;
  /** Least-squares slope, in the series' unit per hour. */
  slopePerHour: number;
  /** Standard error of that slope, in the same unit. */
  slopeErrorPerHour: number;
  /** The slope as a percentage of q2 per hour. */
  growthPctPerHour: number;
  outcome: Outcome;
  /** Why it is not flat, empty when it is. */
  why: string;
}

/** The least-squares line of `points`: slope and its standard error, in value units per hour. */
export function slopePerHour(points: readonly Point[]): { slope: number; error: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, error: NaN };
  const meanT = points.reduce((s, p) => s + p.t, 0) / n;
  const meanV = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.v - meanV);
    den += (p.t - meanT) ** 2;
  }
  if (den === 0) return { slope: 0, error: NaN };
  const slope = num / den;
  const residuals = points.reduce((s, p) => s + (p.v - meanV - slope * (p.t - meanT)) ** 2, 0);
  const error = n > 2 ? Math.sqrt(residuals / (n - 2) / den) : NaN;
  return { slope: slope * 3600, error: error * 3600 };
}

/** The points at or after `warmupSeconds`, without NaN values (an interval with no data). */
export function afterWarmup(points: readonly Point[], warmupSeconds: number): Point[] {
  return points.filter((p) => p.t >= warmupSeconds && Number.isFinite(p.v));
}

/** Medians of the second and the last quarter of `points` (in time order). */
export function quarterMedians(points: readonly Point[]): { q2: number; q4: number } {
  const n = points.length;
  const quarter = (k: number) => points.slice(Math.floor((n * k) / 4), Math.floor((n * (k + 1)) / 4)).map((p) => p.v);
  return { q2: median(quarter(1)), q4: median(quarter(3)) };
}

/** Fewer samples than this after the warm-up cannot be judged: the run was too short. */
export const MIN_SAMPLES = 8;

function growthOutcome(slope: number, error: number, q2: number): { outcome: Outcome; why: string } {
  // Growth over the bar, in MB/h: a slope counts only past both the percentage and the floor.
  const bar = Math.max((q2 * MEMORY_GROWTH_PCT_PER_HOUR) / 100, SLOPE_FLOOR_MB_PER_HOUR);
  const pct = (v: number) => `${((v / q2) * 100).toFixed(1)} %/h`;
  if (slope - 2 * error > bar) return { outcome: "breach", why: `grows ${pct(slope)} (±${pct(2 * error)}; bar ${MEMORY_GROWTH_PCT_PER_HOUR} %/h)` };
  if (slope + 2 * error > bar) return { outcome: "inconclusive", why: `slope ${pct(slope)} ±${pct(2 * error)}: too short a run to tell` };
  return { outcome: "flat", why: "" };
}

/** Judges one series (already cut to the judged window) by `rule`; `rate` is jobs/s, for the backlog rule. */
export function judge(series: string, points: readonly Point[], rule: Rule, rate: number): Judgement {
  const { q2, q4 } = quarterMedians(points);
  const ratio = q2 > 0 ? q4 / q2 : NaN;
  const { slope, error } = slopePerHour(points);
  const base = { series, rule, samples: points.length, q2, q4, ratio, slopePerHour: slope, slopeErrorPerHour: error, growthPctPerHour: q2 > 0 ? (slope / q2) * 100 : NaN };
  const breaches: string[] = [];
  let inconclusive = "";
  if (rule === "info") return { ...base, outcome: "flat", why: "" };
  if (points.length < MIN_SAMPLES) breaches.push(`only ${points.length} samples after the warm-up (at least ${MIN_SAMPLES})`);
  else if (rule === "memory" || rule === "size") {
    const ratioBar = rule === "memory" ? MEMORY_RATIO : SIZE_RATIO;
    const growth = growthOutcome(slope, error, q2);
    if (growth.outcome === "breach") breaches.push(growth.why);
    if (growth.outcome === "inconclusive") inconclusive = growth.why;
    if (ratio > ratioBar) breaches.push(`last/second quarter ${ratio.toFixed(2)} (bar ${ratioBar})`);
  } else if (rule === "latency") {
    if (ratio > LATENCY_RATIO && q4 - q2 > LATENCY_FLOOR_MS) breaches.push(`p99 last/second quarter ${ratio.toFixed(2)}, +${(q4 - q2).toFixed(0)} ms (bar ${LATENCY_RATIO}× and +${LATENCY_FLOOR_MS} ms)`);
  } else if (q4 > Math.max(rate, 1)) {
    breaches.push(`last-quarter backlog ${q4} jobs (bar: one second of production, ${rate})`);
  }
  if (breaches.length > 0) return { ...base, outcome: "breach", why: breaches.join("; ") };
  return { ...base, outcome: inconclusive === "" ? "flat" : "inconclusive", why: inconclusive };
}
