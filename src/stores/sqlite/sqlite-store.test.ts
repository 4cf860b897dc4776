// Runs the store contract suite against SQLite: in memory, and on a real file shared by two connections.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../../test/store-contract.js";
import { newJob } from "../../../test/support/jobs.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-sqlite-"));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract({
  name: "sqlite (file)",
  create: async (clock) => new SqliteStore({ path: join(dir, `contract-${n++}.db`), clock }),
  connectPeer: async (store, clock) => new SqliteStore({ path: (store as SqliteStore).path, clock }),
});

describeStoreContract({
  name: "sqlite (:memory:)",
  create: async (clock) => new SqliteStore({ path: ":memory:", clock }),
});

describe("sqlite group commit", () => {
  it("commits settlements of one turn together, refusing only the stale one, visible to others once resolved", async () => {
    const path = join(dir, "group.db");
    const store = new SqliteStore({ path });
    const peer = new SqliteStore({ path });
    const jobs = [newJob(), newJob(), newJob()];
    await store.enqueue(jobs);
    const [a, b, c] = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 3, leaseMs: 30_000 });
    if (a === undefined || b === undefined || c === undefined) throw new Error("expected three claimed jobs");
    const seenByPeer: Array<string | undefined> = [];
    const outcomes = await Promise.allSettled([
      store.complete({ jobId: a.id, token: a.leaseToken }, "a").then(async () => seenByPeer.push((await peer.getJob(a.id))?.status)),
      store.complete({ jobId: b.id, token: "stale" }, "b"),
      store.fail({ jobId: c.id, token: c.leaseToken, error: { code: "TASK_ERROR", message: "c" }, retryDelayMs: null }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "LEASE_LOST" });
    expect(seenByPeer).toEqual(["COMPLETED"]);
    expect((await peer.getJob(b.id))?.status).toBe("PROCESSING");
    expect((await peer.getJob(c.id))?.status).toBe("FAILED");
    await peer.close();
    await store.close();
  });
});

describe("sqlite store setup", () => {
  it("uses WAL and reports the file in health", async () => {
    const store = new SqliteStore({ path: join(dir, "health.db") });
    const health = await store.health();
    expect(health.details).toMatchObject({ journalMode: "wal", synchronous: "FULL" });
    await store.close();
  });

  it("applies migrations once when two connections open the same new file", async () => {
    const path = join(dir, "twice.db");
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    expect((await b.health()).ok).toBe(true);
    await a.close();
    await b.close();
  });

  it("refuses to work after close with STORE_UNAVAILABLE", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    await store.close();
    await expect(store.cancel("job_x")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});

describe("sqlite wake-ups from other connections", () => {
  it("wakes a waiting worker when another connection commits, long before its poll would", async () => {
    const path = join(dir, "wake.db");
    // A poll this slow cannot be what wakes the worker within the test's bound.
    const waiting = new SqliteStore({ path, pollIntervalMs: 60_000 });
    const producer = new SqliteStore({ path });
    const started = Date.now();
    const woke = waiting.waitForWork(["default"], 10_000, new AbortController().signal).then(() => Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await producer.enqueue([newJob()]);
    expect(await woke).toBeLessThan(5_000);
    expect(await waiting.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 })).toHaveLength(1);
    await producer.close();
    await waiting.close();
  });

  it("still wakes on its poll for an in-memory database, which has no file to watch", async () => {
    const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
    const controller = new AbortController();
    const wait = store.waitForWork(["default"], 30_000, controller.signal);
    await store.enqueue([newJob()]);
    await wait;
    await store.close();
  });
});
