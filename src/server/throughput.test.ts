// Throughput view: the store's per-minute finishes laid out as one hour per queue.
import { describe, expect, it } from "vitest";
import { BUCKET_COUNT, BUCKET_MS, throughputSince, throughputView } from "./throughput.js";

describe("throughputView", () => {
  it("lays out completions and failures per minute and queue, newest minute last", () => {
    const now = 100 * BUCKET_MS + 5000;
    const view = throughputView(
      [
        { queue: "default", minute: 100 * BUCKET_MS, completed: 3, failed: 0 },
        { queue: "default", minute: 99 * BUCKET_MS, completed: 1, failed: 0 },
        { queue: "high", minute: 100 * BUCKET_MS, completed: 0, failed: 2 },
      ],
      now,
    );
    expect(view.queues.default?.completed.slice(-2)).toEqual([1, 3]);
    expect(view.queues.high?.failed.at(-1)).toBe(2);
    expect(view.queues.default?.completed).toHaveLength(BUCKET_COUNT);
    expect(view.since).toBe(new Date(throughputSince(now)).toISOString());
  });

  it("leaves out minutes older than an hour, and counts a minute ahead of the clock as the newest", () => {
    const now = 500 * BUCKET_MS;
    const view = throughputView(
      [
        { queue: "old", minute: (500 - BUCKET_COUNT) * BUCKET_MS, completed: 5, failed: 0 },
        { queue: "ahead", minute: 501 * BUCKET_MS, completed: 1, failed: 0 },
      ],
      now,
    );
    expect(Object.keys(view.queues)).toEqual(["ahead"]);
    expect(view.queues.ahead?.completed.at(-1)).toBe(1);
  });
});
