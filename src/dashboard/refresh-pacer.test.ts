// The dashboard's refresh pacing on a fake clock: a stream of live events costs one refresh per
// interval, a reader's ask runs at once, and refreshes never overlap.
import { describe, expect, it } from "vitest";
import { EVENT_REFRESH_DELAY_MS, EVENT_REFRESH_INTERVAL_MS, RefreshPacer, type PacerTimers } from "./refresh-pacer.js";

/** Timers on a clock that moves only when told, firing what falls due in order. */
class FakeTimers implements PacerTimers {
  private at = 0;
  private next = 1;
  private readonly pending = new Map<number, { due: number; fn: () => void }>();
  now(): number {
    return this.at;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { due: this.at + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Moves the clock by `ms`, running each timer at its due time and letting its promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.at + ms;
    for (;;) {
      const [id, first] = [...this.pending.entries()].sort((a, b) => a[1].due - b[1].due)[0] ?? [];
      if (id === undefined || first === undefined || first.due > end) break;
      this.pending.delete(id);
      this.at = first.due;
      first.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.at = end;
  }
}

const setup = (refreshMs = 0): { timers: FakeTimers; pacer: RefreshPacer; starts: number[]; overlaps: () => number } => {
  const timers = new FakeTimers();
  const starts: number[] = [];
  let running = 0;
  let overlaps = 0;
  const pacer = new RefreshPacer(async () => {
    starts.push(timers.now());
    running += 1;
    if (running > 1) overlaps += 1;
    if (refreshMs > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, refreshMs));
    running -= 1;
  }, timers);
  return { timers, pacer, starts, overlaps: () => overlaps };
};

describe("dashboard refresh pacing", () => {
  it("refreshes at most once per interval however many live events arrive", async () => {
    const { timers, pacer, starts } = setup();
    // 100 events a second for 10 seconds.
    for (let i = 0; i < 1000; i++) {
      pacer.paced();
      await timers.advance(10);
    }
    await timers.advance(EVENT_REFRESH_INTERVAL_MS);
    expect(starts.length).toBeLessThanOrEqual(10_000 / EVENT_REFRESH_INTERVAL_MS + 1);
    expect(starts.length).toBeGreaterThanOrEqual(10_000 / EVENT_REFRESH_INTERVAL_MS - 1);
    expect(starts[0]).toBe(EVENT_REFRESH_DELAY_MS);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(EVENT_REFRESH_INTERVAL_MS);
  });

  it("runs a reader's ask at once, and a slow refresh is never overlapped", async () => {
    const { timers, pacer, starts, overlaps } = setup(2500);
    pacer.urgent();
    await timers.advance(0);
    expect(starts).toEqual([0]);
    for (let i = 0; i < 30; i++) {
      pacer.paced();
      pacer.urgent();
      await timers.advance(100);
    }
    await timers.advance(10_000);
    expect(overlaps()).toBe(0);
    // The asks of 0–3 s, made while the first two refreshes ran, are one refresh after each.
    expect(starts).toEqual([0, 2500, 5000]);
  });

  it("plans nothing more once stopped", async () => {
    const { timers, pacer, starts } = setup();
    pacer.paced();
    pacer.stop();
    pacer.urgent();
    await timers.advance(5000);
    expect(starts).toEqual([]);
  });
});
