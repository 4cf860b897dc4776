// Runs the store contract suite against SQLite: in memory, and on a real file shared by two connections.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../../test/store-contract.js";
import { newJob } from "../../../test/support/jobs.js";
import { spawnTs } from "../../../test/support/processes.js";
import type { ClaimedJob } from "../../core/job.js";
import { loadMigrations, migrate } from "./migrate.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-sqlite-"));
const ENQUEUE_FIXTURE = new URL("../../../test/fixtures/sqlite-enqueue.ts", import.meta.url).pathname;
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
  // An in-memory database belongs to its one connection: there is no second connection to the same data.
  skip: ["wakes a waiting worker when a job is enqueued by another connection"],
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

  it("brings a database of an earlier version up to date, its jobs reading as never retried", async () => {
    const path = join(dir, "earlier.db");
    const old = new Database(path);
    migrate(old, loadMigrations().filter((m) => m.version <= 2));
    old.prepare(`INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff, created_at, completed_at,
        error, meta, result_ttl_s, failure_ttl_s) VALUES ('job_old', 'noop', 'default', 'FAILED', '{}', 1, 1000,
        '{"baseMs":1,"maxMs":1,"factor":1,"jitter":0}', 1, 2, '{"code":"TASK_ERROR","message":"x"}', '{}', 60, 60)`).run();
    old.close();
    const store = new SqliteStore({ path });
    try {
      expect(await store.getJob("job_old")).toMatchObject({ status: "FAILED", attempt: 0, retries: 0 });
      expect(await store.retry("job_old")).toMatchObject({ status: "QUEUED", retries: 1 });
    } finally {
      await store.close();
    }
    const reopened = new Database(path, { readonly: true });
    const versions = reopened.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    reopened.close();
    expect(versions).toEqual(loadMigrations().map((m) => m.version));
    expect(versions).toContain(3);
  });

  it("brings a database from before schedules up to date, its jobs reading as made by no schedule", async () => {
    const path = join(dir, "before-schedules.db");
    const old = new Database(path);
    migrate(old, loadMigrations().filter((m) => m.version <= 3));
    old.prepare(`INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff, created_at, enqueued_at,
        position, meta, result_ttl_s, failure_ttl_s) VALUES ('job_pre', 'noop', 'default', 'QUEUED', '{}', 1, 1000,
        '{"baseMs":1,"maxMs":1,"factor":1,"jitter":0}', 1, 1, 1, '{}', 60, 60)`).run();
    old.close();
    const store = new SqliteStore({ path });
    try {
      expect(await store.getJob("job_pre")).toMatchObject({ status: "QUEUED", scheduleId: null, fireAt: null });
      const [made] = await store.enqueue([newJob({ schedule: { scheduleId: "nightly", fireAt: 5 } })]);
      expect(made?.job).toMatchObject({ scheduleId: "nightly", fireAt: 5 });
      expect((await store.listJobs({ scheduleId: "nightly" }, 10, null)).jobs.map((j) => j.id)).toEqual([made?.job.id]);
      expect(await store.listSchedules(10, null)).toEqual({ schedules: [], nextCursor: null });
    } finally {
      await store.close();
    }
    const reopened = new Database(path, { readonly: true });
    const versions = reopened.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    reopened.close();
    expect(versions).toContain(4);
  });

  it("refuses to work after close with STORE_UNAVAILABLE", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    await store.close();
    await expect(store.cancel("job_x")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});

describe("sqlite wake-ups from other connections", () => {
  it("wakes a waiting worker when another process commits, long before its poll would", async () => {
    const path = join(dir, "wake.db");
    // A poll this slow cannot be what wakes the worker within the test's bound.
    const waiting = new SqliteStore({ path, pollIntervalMs: 60_000 });
    const producer = spawnTs(ENQUEUE_FIXTURE, { DB: path, DELAY_MS: "300" });
    let claimed: ClaimedJob[] = [];
    for (let waits = 0; claimed.length === 0 && waits < 3; waits++) {
      await waiting.waitForWork(["default"], 10_000, new AbortController().signal);
      claimed = await waiting.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 });
    }
    const claimedAt = Date.now();
    expect(await producer.exited).toBe(0);
    const enqueuedAt = Number(/enqueued at (\d+)/.exec(producer.output())?.[1]);
    expect(claimed).toHaveLength(1);
    // Without the folder watch, this is the 10 s wait.
    expect(claimedAt - enqueuedAt).toBeLessThan(2_000);
    await waiting.close();
  });
});
