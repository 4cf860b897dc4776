// Throughput history: per-minute completions and failures per queue, an hour deep.
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../core/events.js";
import { BUCKET_COUNT, BUCKET_MS, ThroughputHistory } from "./throughput.js";

const event = (type: JobEvent["type"], at: number, queue = "default"): JobEvent => ({ type, at, queue, jobId: "job_1", task: "t", status: "COMPLETED" });

describe("ThroughputHistory", () => {
  it("counts completions and final failures per minute and queue, newest minute last", () => {
    const now = 100 * BUCKET_MS + 5000;
    const history = new ThroughputHistory(() => now);
    history.record(event("job:completed", now));
    history.record(event("job:completed", now - BUCKET_MS));
    history.record(event("job:failed", now, "high"));
    history.record(event("job:started", now));
    const view = history.view();
    expect(view.queues.default?.completed.slice(-2)).toEqual([1, 1]);
    expect(view.queues.high?.failed.at(-1)).toBe(1);
    expect(view.queues.default?.completed).toHaveLength(BUCKET_COUNT);
  });

  it("forgets minutes older than an hour", () => {
    let now = 500 * BUCKET_MS;
    const history = new ThroughputHistory(() => now);
    history.record(event("job:completed", now));
    now += BUCKET_COUNT * BUCKET_MS;
    expect(history.view().queues).toEqual({});
  });
});
