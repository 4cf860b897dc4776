// Checking schedule declarations: what is refused before any store sees it.
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { DEFAULT_CLIENT_DEFAULTS } from "./enqueue-options.js";
import { PAYLOAD_JSON_LIMITS } from "./job-rules.js";
import { prepareSchedule } from "./schedule-definition.js";

const context = { defaults: DEFAULT_CLIENT_DEFAULTS, jsonLimits: PAYLOAD_JSON_LIMITS, tasks: null };

describe("prepareSchedule", () => {
  it("refuses a backfill whose jobs would not fit in one fire call", async () => {
    const payload = { blob: "x".repeat(100_000) };
    await expect(prepareSchedule({ id: "big", task: "t", every: "1m", payload, catchUp: { backfill: 1000 } }, context)).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
    // The same payload with the default catch-up fits.
    await expect(prepareSchedule({ id: "big", task: "t", every: "1m", payload }, context)).resolves.toMatchObject({ id: "big" });
  });

  it("keeps a null payload as null", async () => {
    expect((await prepareSchedule({ id: "n", task: "t", every: "1m", payload: null }, context)).job.payload).toBeNull();
    expect((await prepareSchedule({ id: "n", task: "t", every: "1m" }, context)).job.payload).toEqual({});
  });
});

describe("fire idempotency keys", () => {
  it("are refused to a caller's enqueue, which stores nothing", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    const client = new Client({ store });
    await expect(client.enqueue("t", {}, { idempotencyKey: "schedule:nightly:1700000000000" })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    expect((await client.listJobs()).jobs).toEqual([]);
    await client.close();
  });
});
