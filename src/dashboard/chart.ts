// Inline SVG charts drawn from numbers: the last hour's completions and failures per minute as
// stacked bars, and a small sparkline per queue. No library, no markup strings.
import { svg } from "./dom.js";

/** Completions and failures per bucket, oldest first. */
export interface Series {
  completed: number[];
  failed: number[];
}

const HEIGHT = 150;
const LEFT = 34;
const BOTTOM = 18;

function text(x: number, y: number, content: string, anchor = "start"): SVGTextElement {
  const node = svg("text", { x, y, "text-anchor": anchor, class: "chart-label" });
  node.textContent = content;
  return node;
}

/** Adds the series of several queues together. */
export function sumSeries(all: Series[], length: number): Series {
  const total: Series = { completed: new Array<number>(length).fill(0), failed: new Array<number>(length).fill(0) };
  for (const series of all) {
    for (let i = 0; i < length; i++) {
      total.completed[i] = (total.completed[i] ?? 0) + (series.completed[i] ?? 0);
      total.failed[i] = (total.failed[i] ?? 0) + (series.failed[i] ?? 0);
    }
  }
  return total;
}

function bar(x: number, y: number, width: number, height: number, kind: string, tip: string): SVGRectElement {
  const rect = svg("rect", { x, y, width, height, class: `bar-${kind}` });
  const title = svg("title");
  title.textContent = tip;
  rect.appendChild(title);
  return rect;
}

/**
 * Stacked bars per minute with a y scale and minute marks; `since` is the first bucket's start.
 * Drawn at `width` pixels so text keeps its size whatever the screen.
 */
export function throughputChart(series: Series, since: Date, bucketSeconds: number, width: number): SVGSVGElement {
  const chartWidth = Math.max(360, Math.round(width));
  const n = series.completed.length;
  const peak = Math.max(1, ...series.completed.map((c, i) => c + (series.failed[i] ?? 0)));
  const plotW = chartWidth - LEFT;
  const plotH = HEIGHT - BOTTOM - 6;
  const step = plotW / Math.max(1, n);
  const root = svg("svg", { viewBox: `0 0 ${chartWidth} ${HEIGHT}`, class: "chart", role: "img", "aria-label": "Jobs completed and failed per minute, last hour" });
  for (const fraction of [0, 0.5, 1]) {
    const y = 6 + plotH * (1 - fraction);
    root.appendChild(svg("line", { x1: LEFT, x2: chartWidth, y1: y, y2: y, class: "chart-grid" }));
    root.appendChild(text(LEFT - 6, y + 4, String(Math.round(peak * fraction)), "end"));
  }
  for (let i = 0; i < n; i++) {
    const completed = series.completed[i] ?? 0;
    const failed = series.failed[i] ?? 0;
    const start = new Date(since.getTime() + i * bucketSeconds * 1000);
    const tip = `${start.toTimeString().slice(0, 5)}: ${completed} completed, ${failed} failed`;
    const x = LEFT + i * step + 1;
    const hc = (completed / peak) * plotH;
    const hf = (failed / peak) * plotH;
    if (completed > 0) root.appendChild(bar(x, 6 + plotH - hc, step - 2, hc, "completed", tip));
    if (failed > 0) root.appendChild(bar(x, 6 + plotH - hc - hf, step - 2, hf, "failed", tip));
  }
  for (const [i, label] of [[0, "−60 min"], [Math.floor(n / 2), "−30 min"], [n - 1, "now"]] as const) {
    root.appendChild(text(LEFT + i * step + step / 2, HEIGHT - 4, label, i === 0 ? "start" : i === n - 1 ? "end" : "middle"));
  }
  return root;
}

/** A tiny line of completions with failures marked, for a table cell. */
export function sparkline(series: Series): SVGSVGElement {
  const n = series.completed.length;
  const peak = Math.max(1, ...series.completed, ...series.failed);
  const w = 120;
  const hgt = 22;
  const point = (v: number, i: number): string => `${((i / Math.max(1, n - 1)) * w).toFixed(1)},${(hgt - 2 - (v / peak) * (hgt - 4)).toFixed(1)}`;
  const root = svg("svg", { viewBox: `0 0 ${w} ${hgt}`, class: "sparkline", "aria-hidden": "true" });
  // Failures first, so the completions line stays visible where both are at zero.
  if (series.failed.some((v) => v > 0)) root.appendChild(svg("polyline", { points: series.failed.map(point).join(" "), class: "spark-failed" }));
  root.appendChild(svg("polyline", { points: series.completed.map(point).join(" "), class: "spark-completed" }));
  return root;
}
