// Dependencies under real faults, on Redis and on a SQLite file, with worker processes:
// a fan-in (A → members → join) while workers are SIGKILLed, many flows whose children finish
// together, and a flow canceled while it runs. (`npm run chaos:flows` runs the full sizes.)
import { describe, expect, it } from "vitest";
import { runCancelMidFlow, runFanIn, runManyFlows, type SoakStore } from "../support/flow-soak.js";
import { redisServerAvailable } from "../support/redis-server.js";

const stores: SoakStore[] = redisServerAvailable() ? ["sqlite", "redis"] : ["sqlite"];

describe.each(stores)("dependencies under faults on %s", (kind) => {
  it("starts the join once, after every member is final, and hands it every result while workers are SIGKILLed", async () => {
    const report = await runFanIn(kind, { members: 200, flakyShare: 0.05, workers: 3, killEveryMs: 700, taskMs: 200, timeoutMs: 90_000 });
    expect(report.kills).toBeGreaterThanOrEqual(2);
    expect(report).toMatchObject({ members: 200, membersCompleted: 200, joinQueued: 1, joinSaw: { results: 200, of: 200 } });
    // A start killed with its worker is the only way to a second one.
    expect(report.joinStarts).toBe(1 + report.joinStalls);
    expect(report.joinStartedAt).not.toBeNull();
    expect(report.joinStartedAt as number).toBeGreaterThanOrEqual(report.lastMemberFinishedAt);
  }, 120_000);

  it("queues and runs each parent exactly once when its two children finish together", async () => {
    const report = await runManyFlows(kind, { flows: 1000, workers: 3, concurrency: 20, timeoutMs: 90_000 });
    expect(report).toMatchObject({ flows: 1000, parentsQueuedOnce: 1000, parentsStartedOnce: 1000 });
  }, 120_000);

  it("starts nothing of a flow after it is canceled, running members included", async () => {
    const report = await runCancelMidFlow(kind);
    expect(report.jobs).toBe(81);
    expect(report.startedBeforeCancel).toBeGreaterThan(0);
    expect(report).toMatchObject({ startedAfterCancel: 0, unfinished: 0 });
  }, 60_000);
});
