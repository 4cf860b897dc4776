// Per-key limits with real worker processes, on Redis and on a SQLite file: a tenant with 20,000
// waiting jobs beside nine tenants with 20, at most 2 running per tenant across 3 processes, a
// worker SIGKILLed, and a rated task's starts per window. (`npm run chaos:limits` runs longer.)
import { describe, expect, it } from "vitest";
import { runFairness, runRate, type LimitSoakStore } from "../support/limit-soak.js";
import { redisServerAvailable } from "../support/redis-server.js";

const stores: LimitSoakStore[] = redisServerAvailable() ? ["sqlite", "redis"] : ["sqlite"];

describe.each(stores)("limits under load and faults on %s", (kind) => {
  it("keeps every tenant at 2 running, finishes the small tenants while the big one waits, and leaks no slot when a worker dies", async () => {
    const report = await runFairness(kind, { bigJobs: 20_000, smallTenants: 9, smallJobs: 20, perProject: 2, workers: 3, concurrency: 20, taskMs: 50, leaseMs: 3000, timeoutMs: 60_000 });
    expect(report.samples).toBeGreaterThan(10);
    for (const [key, most] of Object.entries(report.mostRunning)) expect(most, `${key} at most 2 running`).toBeLessThanOrEqual(2);
    expect(Object.keys(report.mostRunning)).toHaveLength(10);
    expect(report.bigWaitingWhenSmallDone).toBeGreaterThan(10_000);
    expect(report.slotMismatches).toEqual([]);
    expect(report.leakedKeys).toEqual([]);
  }, 120_000);

  it("starts no more than limit + burst jobs of a rated task in any window, across 3 processes", async () => {
    const report = await runRate(kind, { seconds: 8, rate: 10, periodMs: 1000, burst: 2, workers: 3 });
    expect(report.started).toBeGreaterThan(40);
    expect(report.mostInAWindow).toBeLessThanOrEqual(report.allowed);
  }, 60_000);
});
