// Schedules fire exactly once per fire time with no leader: worker processes on Redis and on a
// SQLite file all declare the same schedules and are SIGKILLed and restarted at random; every
// fire time gets exactly one job on each store. (`npm run chaos:schedules` runs it for minutes,
// with an outage of every process.)
import { describe, expect, it } from "vitest";
import { redisServerAvailable } from "../support/redis-server.js";
import { runScheduleSoak } from "../support/schedule-soak.js";

describe.skipIf(!redisServerAvailable())("schedules under worker kills", () => {
  it("makes exactly one job per fire time on Redis and on SQLite while workers are SIGKILLed", async () => {
    const reports = await runScheduleSoak({ seconds: 20, workersPerStore: 3, killEveryMs: 1500, outageMs: 0 });
    for (const report of reports) {
      expect(report.kills, `${report.store}: workers were killed`).toBeGreaterThan(2);
      const every = report.counts.find((c) => c.scheduleId === "every-second");
      expect(every?.expected, `${report.store}: the 1 s schedule fired through the run`).toBeGreaterThanOrEqual(15);
      for (const count of report.counts) {
        expect({ store: report.store, ...count }).toMatchObject({ duplicated: 0, unexplained: [], once: count.expected });
      }
    }
  }, 90_000);
});
