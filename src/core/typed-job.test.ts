// Results typed by their task: enqueue, getJob and wait return the definition's result type.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import type { Job } from "./job.js";
import { defineTask } from "./task.js";
import type { JobOf, ResultOf } from "./typed-job.js";
import { Worker } from "./worker.js";

const report = defineTask("build_report", async (payload: { pages: number }) => ({ pages: payload.pages, url: `r/${payload.pages}` }));
const other = defineTask("other", () => 1);

describe("typed results", () => {
  let store: SqliteStore;
  let client: Client;
  beforeEach(() => {
    store = new SqliteStore({ path: ":memory:" });
    client = new Client({ store });
  });
  afterEach(() => store.close());

  it("types a job by its definition's result, from enqueue to wait", async () => {
    const worker = new Worker({ store, tasks: [report, other] });
    await worker.start();
    const job = await client.enqueue(report, { pages: 3 });
    expectTypeOf(job).toEqualTypeOf<JobOf<{ pages: number; url: string }>>();
    const done = await client.wait(job, { timeoutMs: 10_000 });
    expectTypeOf(done.result).toEqualTypeOf<{ pages: number; url: string } | null>();
    expect(done.result?.url).toBe("r/3");
    const byId = await client.wait(job.id, { timeoutMs: 10_000, task: report });
    expectTypeOf(byId.result).toEqualTypeOf<{ pages: number; url: string } | null>();
    const read = await client.getJob(job.id, report);
    expectTypeOf(read).toEqualTypeOf<JobOf<{ pages: number; url: string }> | null>();
    expect(read?.result).toEqual({ pages: 3, url: "r/3" });
    await worker.stop();
  });

  it("keeps untyped calls as they were", async () => {
    const job = await client.enqueue("build_report", { pages: 1 });
    expectTypeOf(job).toEqualTypeOf<Job>();
    // Types only: these functions are never called.
    expectTypeOf(() => client.getJob(job.id)).returns.resolves.toEqualTypeOf<Job | null>();
    expectTypeOf(() => client.wait(job.id)).returns.resolves.toEqualTypeOf<Job>();
    expectTypeOf<ResultOf<typeof report>>().toEqualTypeOf<{ pages: number; url: string }>();
    expectTypeOf<ResultOf<typeof other>>().toEqualTypeOf<number>();
  });

  it("refuses to read another task's job as this task's, with INVALID_OPTIONS", async () => {
    const job = await client.enqueue(other, {});
    await expect(client.getJob(job.id, report)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.getJob("job_missing", report)).resolves.toBeNull();
  });
});
