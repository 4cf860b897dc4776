// The counters of 006-status-counts.sql against the jobs they count, the query plans that keep
// stats, finishes, listings and prune off full scans, and the lease that lets one process prune.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { ManualClock } from "../../core/clock.js";
import type { ClaimedJob } from "../../core/job.js";
import { MAINTENANCE_LEASE_MS } from "./maintenance-leases.js";
import { loadMigrations, migrate } from "./migrate.js";
import { SQL } from "./sql-statements.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-counts-"));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fresh = (clock = new ManualClock()): { store: SqliteStore; raw: Database.Database; path: string } => {
  const path = join(dir, `counts-${n++}.db`);
  const store = new SqliteStore({ path, clock });
  return { store, raw: new Database(path), path };
};

type Counts = Record<string, number>;
const realCounts = (raw: Database.Database): Counts =>
  Object.fromEntries((raw.prepare("SELECT queue || '|' || status AS k, count(*) AS n FROM jobs GROUP BY queue, status").all() as Array<{ k: string; n: number }>).map((r) => [r.k, r.n]));
const counters = (raw: Database.Database): Counts =>
  Object.fromEntries((raw.prepare("SELECT queue || '|' || status AS k, n FROM queue_status_counts WHERE n > 0").all() as Array<{ k: string; n: number }>).map((r) => [r.k, r.n]));
const statsCounts = async (store: SqliteStore): Promise<Counts> => {
  const out: Counts = {};
  for (const q of await store.stats()) for (const [status, count] of Object.entries(q.counts)) if (count > 0) out[`${q.queue}|${status}`] = count;
  return out;
};
// Every parameter bound to 0 (named ones through one object): the plan does not depend on the values.
const plan = (db: Database.Database, sql: string): string[] => {
  const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1] ?? "");
  const params = named.length > 0 ? [Object.fromEntries(named.map((name) => [name, 0]))] : Array.from(sql.matchAll(/\?/g), () => 0);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
};

describe("sqlite status counters", () => {
  it("match the jobs after every kind of transition, and stats read them", async () => {
    const clock = new ManualClock();
    const { store, raw } = fresh(clock);
    const lease = { worker: "w", incarnation: "i", leaseMs: 1000 };
    const claim = (queue: string, limit = 1): Promise<ClaimedJob[]> => store.claim({ queues: [queue], limit, ...lease });
    await store.enqueue(["a", "a", "a", "b", "b", "c"].map((queue) => newJob({ queue, maxAttempts: 2, resultTtlSeconds: 1, failureTtlSeconds: 1 })));
    await store.enqueue([newJob({ queue: "a", delayMs: 500 }), newJob({ queue: "b", hold: true })]);
    const check = async (): Promise<void> => {
      expect(counters(raw)).toEqual(realCounts(raw));
      expect(await statsCounts(store)).toEqual(realCounts(raw));
    };
    await check();
    const [a1, a2, a3] = await claim("a", 3);
    if (a1 === undefined || a2 === undefined || a3 === undefined) throw new Error("expected three claimed jobs");
    await store.complete({ jobId: a1.id, token: a1.leaseToken }, "ok");
    await store.fail({ jobId: a2.id, token: a2.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: 100 });
    await store.release({ jobId: a3.id, token: a3.leaseToken });
    await check();
    const [b1] = await claim("b");
    if (b1 === undefined) throw new Error("expected a claimed job");
    await store.fail({ jobId: b1.id, token: b1.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
    const [c1] = await claim("c");
    await check();
    clock.advance(1500);
    expect(await store.promoteDue(10)).toBeGreaterThan(0);
    expect((await store.recoverExpired(10, 3)).requeued).toBe(1);
    await check();
    const waiting = (await store.listJobs({ queue: "b", status: "QUEUED" }, 1, null)).jobs[0];
    if (waiting === undefined || c1 === undefined) throw new Error("expected jobs");
    await store.cancel(waiting.id);
    await store.retry(waiting.id);
    await store.remove(waiting.id);
    await check();
    clock.advance(10_000);
    expect(await store.prune(100)).toBeGreaterThan(0);
    await check();
    // Any status string a newer transition writes (DEFERRED, or one not invented yet), and a
    // change of queue, are counted as they are: the triggers name no status.
    raw.prepare("UPDATE jobs SET status = 'DEFERRED' WHERE queue = 'a'").run();
    raw.prepare("UPDATE jobs SET status = 'NOT_INVENTED_YET', queue = 'z' WHERE queue = 'b'").run();
    expect(counters(raw)).toEqual(realCounts(raw));
    expect(counters(raw)["z|NOT_INVENTED_YET"]).toBeGreaterThan(0);
    raw.prepare("DELETE FROM jobs").run();
    expect(counters(raw)).toEqual({});
    expect(await statsCounts(store)).toEqual({});
    raw.close();
    await store.close();
  });

  it("are backfilled from the jobs a database had before them", async () => {
    const path = join(dir, "backfill.db");
    const old = new Database(path);
    migrate(old, loadMigrations().filter((m) => m.version < 6));
    const insert = old.prepare(`INSERT INTO jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff, created_at,
        enqueued_at, completed_at, position, meta, result_ttl_s, failure_ttl_s) VALUES (?, 'noop', ?, ?, '{}', 1, 1000,
        '{"baseMs":1,"maxMs":1,"factor":1,"jitter":0}', 1, 1, ?, ?, '{}', 60, 60)`);
    const now = Date.UTC(2026, 0, 1);
    insert.run("job_1", "a", "QUEUED", null, 1);
    insert.run("job_2", "a", "QUEUED", null, 2);
    insert.run("job_3", "a", "COMPLETED", now - 5000, null);
    insert.run("job_4", "b", "FAILED", now - 5000, null);
    old.close();
    const store = new SqliteStore({ path, clock: new ManualClock(now) });
    const raw = new Database(path);
    expect(counters(raw)).toEqual({ "a|QUEUED": 2, "a|COMPLETED": 1, "b|FAILED": 1 });
    const stats = await store.stats();
    expect(stats.map((q) => [q.queue, q.completedLastMinute, q.failedLastMinute])).toEqual([["a", 1, 0], ["b", 0, 1]]);
    raw.close();
    await store.close();
  });
});

describe("sqlite reads that stay off the jobs", () => {
  const db = new Database(":memory:");
  migrate(db);

  it("reads stats from the counters: no statement of stats scans jobs", () => {
    for (const sql of [SQL.countsByQueue, SQL.oldestWaiting, SQL.finishedSince, SQL.finishesPerMinute, SQL.pausedQueues]) {
      const steps = plan(db, sql);
      expect(steps.filter((s) => /\bjobs\b/.test(s) && !s.includes("USING INDEX jobs_ready"))).toEqual([]);
    }
    // The head of each queue with waiting jobs: one index lookup per queue.
    expect(plan(db, SQL.oldestWaiting)).toContain("SEARCH jobs USING INDEX jobs_ready (queue=?)");
    expect(plan(db, SQL.finishesPerMinute)[0]).toBe("SEARCH job_finishes USING PRIMARY KEY (bucket>?)");
  });

  it("serves a listing by status and task from one index, in order", () => {
    const steps = plan(db, "SELECT * FROM jobs WHERE status = ? AND task = ? AND id < ? ORDER BY id DESC LIMIT ?");
    expect(steps).toEqual(["SEARCH jobs USING INDEX jobs_status_task (status=? AND task=? AND id<?)"]);
  });

  it("prunes old progress events through an index holding only those: its reads stop at the limit", () => {
    expect(plan(db, SQL.pruneProgressEvents)).toContain("SEARCH events USING INDEX events_prunable (at<?)");
    expect(plan(db, SQL.pruneFinishCounts).some((s) => s.startsWith("SEARCH job_finishes USING PRIMARY KEY (bucket<?)"))).toBe(true);
  });
});

describe("sqlite finish counters", () => {
  it("keep a finish counted when its job is retried, and drop buckets past two hours", async () => {
    const clock = new ManualClock();
    const { store, raw } = fresh(clock);
    await store.enqueue([newJob({ maxAttempts: 1 }), newJob()]);
    const [x, y] = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 2, leaseMs: 30_000 });
    if (x === undefined || y === undefined) throw new Error("expected two claimed jobs");
    await store.fail({ jobId: x.id, token: x.leaseToken, error: { code: "TASK_ERROR", message: "x" }, retryDelayMs: null });
    await store.complete({ jobId: y.id, token: y.leaseToken }, null);
    await store.retry(x.id);
    const start = clock.now();
    expect(await store.finishesPerMinute(start)).toEqual([{ queue: "default", minute: start, completed: 1, failed: 1 }]);
    clock.advance(70_000);
    expect((await store.stats())[0]).toMatchObject({ completedLastMinute: 0, failedLastMinute: 0 });
    clock.advance(2 * 3600_000);
    await store.prune(100);
    expect(raw.prepare("SELECT count(*) FROM job_finishes").pluck().get()).toBe(0);
    raw.close();
    await store.close();
  });
});

describe("sqlite prune", () => {
  it("deletes old progress events in bounded batches and keeps the other events", async () => {
    const clock = new ManualClock();
    const { store, raw } = fresh(clock);
    const [made] = await store.enqueue([newJob()]);
    const [job] = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 3600_000 * 3 });
    if (made === undefined || job === undefined) throw new Error("expected a claimed job");
    for (let i = 0; i < 5; i++) await store.progress({ jobId: job.id, token: job.leaseToken }, i);
    const ofType = (type: string): unknown => raw.prepare("SELECT count(*) FROM events WHERE type = ?").pluck().get(type);
    clock.advance(3600_001);
    await store.prune(2);
    expect(ofType("job:progress")).toBe(3);
    await store.prune(100);
    expect(ofType("job:progress")).toBe(0);
    expect(ofType("job:started")).toBe(1);
    raw.close();
    await store.close();
  });

  it("runs in one process at a time: the lease holder prunes, the others skip until it stops", async () => {
    const clock = new ManualClock();
    const { store: first, raw, path } = fresh(clock);
    const second = new SqliteStore({ path, clock });
    const finishOne = async (): Promise<void> => {
      await first.enqueue([newJob({ resultTtlSeconds: 1 })]);
      const [job] = await first.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1, leaseMs: 30_000 });
      if (job === undefined) throw new Error("expected a claimed job");
      await first.complete({ jobId: job.id, token: job.leaseToken }, null);
      clock.advance(1000);
    };
    await finishOne();
    expect(await first.prune(100)).toBe(1);
    await finishOne();
    // The lease stands: the second process reads the lease row and takes no write lock.
    expect(await second.prune(100)).toBe(0);
    expect(raw.prepare("SELECT count(*) FROM jobs").pluck().get()).toBe(1);
    // The holder renews at each of its ticks and keeps the step.
    expect(await first.prune(100)).toBe(1);
    await finishOne();
    clock.advance(MAINTENANCE_LEASE_MS);
    // A holder that stopped ticking (died) loses the step once its lease has expired.
    expect(await second.prune(100)).toBe(1);
    await finishOne();
    expect(await first.prune(100)).toBe(0);
    // A holder that closes gives the step up at once.
    await second.close();
    expect(await first.prune(100)).toBe(1);
    raw.close();
    await first.close();
  });
});
