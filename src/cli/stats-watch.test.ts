import { describe, expect, it } from "vitest";
import { watchSnapshots, type WatchOptions } from "./stats-watch.js";

/** Options whose waits return at once and whose clock is fixed; the watch stops after `rounds` snapshots. */
function options(rounds: number, overrides: Partial<WatchOptions>): { options: WatchOptions; written: string[]; waits: number[] } {
  const written: string[] = [];
  const waits: number[] = [];
  const stop = new AbortController();
  return {
    written,
    waits,
    options: {
      intervalMs: 2000,
      tty: false,
      json: false,
      write: (text) => written.push(text),
      signal: stop.signal,
      now: () => new Date("2030-01-02T03:04:05.678Z"),
      wait: async (ms) => {
        waits.push(ms);
        if (waits.length >= rounds) stop.abort();
      },
      ...overrides,
    },
  };
}

describe("watchSnapshots", () => {
  it("appends one table per interval under a time line when not on a terminal", async () => {
    const { options: opts, written, waits } = options(3, {});
    let n = 0;
    const count = await watchSnapshots(async () => ({ text: `table ${++n}`, data: {} }), opts);
    expect(count).toBe(3);
    expect(waits).toEqual([2000, 2000, 2000]);
    expect(written.join("")).toBe("--- 2030-01-02T03:04:05Z\ntable 1\n\n--- 2030-01-02T03:04:05Z\ntable 2\n\n--- 2030-01-02T03:04:05Z\ntable 3\n");
  });

  it("redraws the screen on a terminal", async () => {
    const { options: opts, written } = options(2, { tty: true });
    await watchSnapshots(async () => ({ text: "table", data: {} }), opts);
    expect(written).toHaveLength(2);
    for (const text of written) expect(text).toBe("\u001b[H\u001b[2JEvery 2s, 2030-01-02T03:04:05Z (Ctrl-C stops)\n\ntable\n");
  });

  it("prints one JSON document per line with --json, each with its time", async () => {
    const { options: opts, written } = options(2, { json: true });
    await watchSnapshots(async () => ({ text: "table", data: { queues: [] } }), opts);
    expect(written.map((line) => JSON.parse(line) as unknown)).toEqual([
      { at: "2030-01-02T03:04:05Z", queues: [] },
      { at: "2030-01-02T03:04:05Z", queues: [] },
    ]);
  });

  it("prints nothing for a snapshot that finished after the stop", async () => {
    const stop = new AbortController();
    const written: string[] = [];
    const count = await watchSnapshots(
      async () => {
        stop.abort();
        return { text: "late", data: {} };
      },
      { intervalMs: 1000, tty: false, json: false, write: (text) => written.push(text), signal: stop.signal },
    );
    expect(count).toBe(0);
    expect(written).toEqual([]);
  });
});
