// The soak's verdict helpers and its SVG chart (bench/soak-analysis.ts, bench/soak-chart.ts):
// slopes, quarters, outcomes and a well-formed drawing, on made-up series.
import { describe, expect, it } from "vitest";
import { afterWarmup, judge, quarterMedians, slopePerHour, type Point } from "../../bench/soak-analysis.js";
import { lineChartSvg, niceStep } from "../../bench/soak-chart.js";

// One point every 10 s for `minutes`, value = f(t); a deterministic wobble stands in for noise.
function series(minutes: number, f: (t: number) => number): Point[] {
  return Array.from({ length: (minutes * 60) / 10 }, (_, i) => ({ t: i * 10, v: f(i * 10) }));
}
const wobble = (t: number) => Math.sin(t / 7) * 0.5;

describe("soak analysis", () => {
  it("measures a least-squares slope per hour, exact on a line", () => {
    const { slope, error } = slopePerHour(series(60, (t) => 100 + t / 360));
    expect(slope).toBeCloseTo(10, 6);
    expect(error).toBeCloseTo(0, 6);
  });

  it("takes the medians of the second and last quarters, after the warm-up", () => {
    const points = afterWarmup([{ t: 0, v: 999 }, ...[1, 2, 3, 4, 5, 6, 7, 8].map((v) => ({ t: v * 10, v }))], 5);
    expect(quarterMedians(points)).toEqual({ q2: 3.5, q4: 7.5 });
  });

  it("calls steady memory flat and a 30 %/h growth a breach over an hour", () => {
    expect(judge("rss", series(54, (t) => 80 + wobble(t)), "memory", 25).outcome).toBe("flat");
    const leak = judge("rss", series(54, (t) => 80 + (t / 3600) * 24 + wobble(t)), "memory", 25);
    expect(leak.outcome).toBe("breach");
    expect(leak.why).toMatch(/grows/);
  });

  it("calls a slope it cannot bound in a short noisy run inconclusive, not a breach", () => {
    const noisy = series(4, (t) => 80 + ((t * 7919) % 13) / 2);
    expect(judge("rss", noisy, "memory", 25).outcome).toBe("inconclusive");
  });

  it("lets a p99 move within the floor, and calls a doubled one above it a breach", () => {
    expect(judge("p99", series(10, (t) => (t < 300 ? 10 : 25)), "latency", 25).outcome).toBe("flat");
    expect(judge("p99", series(10, (t) => (t < 300 ? 40 : 100)), "latency", 25).outcome).toBe("breach");
  });

  it("calls a backlog past one second of production a breach, and too few samples one too", () => {
    expect(judge("queued", series(10, (t) => t / 10), "backlog", 25).outcome).toBe("breach");
    expect(judge("queued", series(10, () => 2), "backlog", 25).outcome).toBe("flat");
    expect(judge("rss", series(1, () => 80), "memory", 25).why).toMatch(/only 6 samples/);
  });
});

describe("soak chart", () => {
  it("picks round tick steps", () => {
    expect(niceStep(97, 5)).toBe(20);
    expect(niceStep(6, 6)).toBe(1);
    expect(niceStep(0.7, 5)).toBeCloseTo(0.2);
  });

  it("draws one path per series with a legend, and a gap for an interval without data", () => {
    const svg = lineChartSvg({
      title: "RSS <redis>",
      unit: "MB",
      warmupSeconds: 60,
      series: [
        { name: "serve", points: series(5, () => 80) },
        { name: "worker-1", points: [{ t: 0, v: 60 }, { t: 10, v: NaN }, { t: 20, v: 61 }, { t: 30, v: 62 }] },
      ],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("RSS &lt;redis&gt;");
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toMatch(/d="M[^"]*M[^"]*"/);
    expect(svg).toContain(">worker-1<");
    expect(svg).toContain("warm-up");
    expect(svg).not.toContain("NaN");
  });
});
