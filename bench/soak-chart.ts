// A small SVG line chart for the soak's curves: axes with round ticks, one line per series, a
// legend, and the warm-up shaded. Written by hand so that the soak needs no plotting package.

/** One line of a chart: its name and its (seconds, value) points; NaN values leave a gap. */
export interface ChartSeries {
  name: string;
  points: ReadonlyArray<{ t: number; v: number }>;
}

/** What to draw. */
export interface ChartSpec {
  title: string;
  unit: string;
  series: readonly ChartSeries[];
  /** Seconds shaded at the left as the warm-up (0 for none). */
  warmupSeconds: number;
  width?: number;
  height?: number;
}

// Distinct on white, in the order series are given.
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function label(value: number): string {
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
  return rounded === "-0" ? "0" : rounded;
}

/** The chart as a standalone SVG document. */
export function lineChartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 340;
  const legendRows = Math.ceil(spec.series.length / 3);
  const margin = { left: 64, right: 16, top: 34, bottom: 42 + legendRows * 16 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.v));
  const tMax = Math.max(1, ...all.map((p) => p.t));
  const vMaxRaw = Math.max(0, ...all.map((p) => p.v));
  const vMin = Math.min(0, ...all.map((p) => p.v));
  const vStep = niceStep(vMaxRaw - vMin || 1, 5);
  const vMax = Math.max(vStep, Math.ceil(vMaxRaw / vStep) * vStep);
  const minutes = tMax / 60;
  const tStepMinutes = niceStep(minutes, 6);
  const x = (t: number) => margin.left + (t / tMax) * plotW;
  const y = (v: number) => margin.top + plotH - ((v - vMin) / (vMax - vMin)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.warmupSeconds > 0) {
    const w = Math.min(plotW, x(spec.warmupSeconds) - margin.left);
    parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${w.toFixed(1)}" height="${plotH}" fill="#eee"/>`);
    parts.push(`<text x="${margin.left + 4}" y="${margin.top + 12}" fill="#888">warm-up</text>`);
  }
  for (let v = vMin; v <= vMax + vStep / 1000; v += vStep) {
    const py = y(v).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${py}" y2="${py}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${label(v)}</text>`);
  }
  for (let m = 0; m <= minutes + tStepMinutes / 1000; m += tStepMinutes) {
    const px = x(m * 60).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px}" y="${margin.top + plotH + 16}" text-anchor="middle">${label(m)}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 32}" text-anchor="middle">minutes</text>`);
  parts.push(`<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.unit)}</text>`);
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    // NaN starts a new segment ("M"), so an interval without data is a gap, not a dive to zero.
    let path = "";
    let pen = "M";
    for (const p of s.points) {
      if (!Number.isFinite(p.v)) {
        pen = "M";
        continue;
      }
      path += `${pen}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)} `;
      pen = "L";
    }
    if (path !== "") parts.push(`<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const lx = margin.left + (i % 3) * (plotW / 3);
    const ly = height - legendRows * 16 + Math.floor(i / 3) * 16 - 4;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
