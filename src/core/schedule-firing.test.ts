// The schedule step of maintenance: one schedule whose fire fails does not hold up the others.
import { describe, expect, it } from "vitest";
import { newSchedule } from "../../test/support/schedules.js";
import { wrapStore } from "../../test/support/server.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { ManualClock } from "./clock.js";
import { fireDueSchedules } from "./schedule-firing.js";

describe("fireDueSchedules", () => {
  it("reports a schedule whose fire fails and fires the others", async () => {
    const clock = new ManualClock();
    const sqlite = new SqliteStore({ path: ":memory:", clock });
    const store = wrapStore(sqlite, {
      fireSchedule: (request) => (request.scheduleId === "broken" ? Promise.reject(new Error("no such zone")) : sqlite.fireSchedule(request)),
    });
    const now = clock.now();
    // "broken" is due first, so it comes first in every tick.
    await store.upsertSchedule({ schedule: newSchedule("broken"), now, nextFireAt: now - 2000 });
    await store.upsertSchedule({ schedule: newSchedule("fine"), now, nextFireAt: now - 1000 });
    const failures: string[] = [];
    const report = await fireDueSchedules(store, 10, (id) => failures.push(id));
    expect(report).toEqual({ fired: 1, jobs: 1, skipped: 0, failed: 1 });
    expect(failures).toEqual(["broken"]);
    expect((await store.listJobs({ scheduleId: "fine" }, 10, null)).jobs).toHaveLength(1);
    expect(await store.getSchedule("broken")).toMatchObject({ nextFireAt: now - 2000, lastFireAt: null });
    await sqlite.close();
  });
});
