// A SQLite file that cannot grow (a full disk, simulated with max_page_count): writes fail with
// STORE_UNAVAILABLE saying so, keep nothing of the refused write, and reads still work; health
// reports the refusal for a minute after the last one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { ManualClock } from "../../core/clock.js";
import { WRITE_REFUSAL_MEMORY_MS } from "../../core/write-refusals.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-sqlite-full-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Far more than the free room in the file's last pages: the batch needs new pages.
const bigBatch = (): ReturnType<typeof newJob>[] => Array.from({ length: 50 }, () => newJob({ payload: { text: "x".repeat(4096) } }));

describe("sqlite store on a full disk", () => {
  it("rejects an enqueue with STORE_UNAVAILABLE and keeps none of the batch", async () => {
    const path = join(dir, "enqueue.db");
    const seeded = new SqliteStore({ path });
    const kept = newJob();
    await seeded.enqueue([kept]);
    await seeded.close();
    // A page count below the file's size caps it at its current size.
    const store = new SqliteStore({ path, maxPageCountForTests: 1 });
    try {
      const batch = bigBatch();
      const refusal = await store.enqueue(batch).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("out of space") as string });
      expect((refusal as Error).cause).toMatchObject({ code: "SQLITE_FULL" });
      for (const job of batch) expect(await store.getJob(job.id)).toBeNull();
      expect((await store.getJob(kept.id))?.status).toBe("QUEUED");
    } finally {
      await store.close();
    }
  });

  it("rejects a grouped settlement with STORE_UNAVAILABLE and leaves the job as it was", async () => {
    const path = join(dir, "complete.db");
    const seeded = new SqliteStore({ path });
    await seeded.enqueue([newJob()]);
    const [claimed] = await seeded.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 60_000 });
    if (claimed === undefined) throw new Error("expected a claimed job");
    await seeded.close();
    const store = new SqliteStore({ path, maxPageCountForTests: 1 });
    try {
      const refusal = await store.complete({ jobId: claimed.id, token: claimed.leaseToken }, { text: "x".repeat(200_000) }).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("out of space") as string });
      expect((await store.getJob(claimed.id))?.status).toBe("PROCESSING");
    } finally {
      await store.close();
    }
  });

  it("reports a refused write in health for a minute after the last one, then ok again", async () => {
    const path = join(dir, "health.db");
    const seeded = new SqliteStore({ path });
    await seeded.enqueue([newJob()]);
    await seeded.close();
    const clock = new ManualClock();
    const store = new SqliteStore({ path, clock, maxPageCountForTests: 1 });
    try {
      expect((await store.health()).writesRefused).toBeUndefined();
      await expect(store.enqueue(bigBatch())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      const health = await store.health();
      expect(health.ok).toBe(true);
      expect(health.writesRefused).toMatch(/out of space: SQLite database .* cannot grow \(disk full\)/);
      clock.advance(WRITE_REFUSAL_MEMORY_MS);
      expect((await store.health()).writesRefused).toBeDefined();
      clock.advance(1);
      expect((await store.health()).writesRefused).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
