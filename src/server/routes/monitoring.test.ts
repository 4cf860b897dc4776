// The monitoring and queue routes through app.inject() on a real SQLite store and real workers.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import { FULL, READ, createTestServer, wrapStore, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";

describe("monitoring routes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const inject = (method: "GET" | "POST", url: string, payload?: object) =>
    server.app.inject({ method, url, headers: FULL, ...(payload === undefined ? {} : { payload }) });
  const enqueue = async (task: string, queue = "default") =>
    (await inject("POST", "/jobs", { task, payload: null, queue, max_attempts: 1 })).json<{ job_id: string }>().job_id;
  const failedCount = async () => (await server.client.listJobs({ status: "FAILED" })).jobs.length;
  const failedJob = async () => {
    const id = await enqueue("fail");
    await waitFor(async () => (await server.client.requireJob(id)).status === "FAILED", { what: "the job to fail" });
    return id;
  };

  const health = (headers: Record<string, string> = FULL) => server.app.inject({ url: "/monitoring/health", headers });

  it("answers a caller without a token the status alone, without reasons or queue names", async () => {
    await server.startWorker({ queues: ["default"] });
    await enqueue("echo", "acme-corp-payroll");
    for (const headers of [{}, { authorization: "Bearer not-the-token" }]) {
      const res = await health(headers);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: "degraded" });
      expect(res.body).not.toContain("acme-corp-payroll");
    }
  });

  it("answers a read-only token the reasons as well", async () => {
    await server.startWorker({ queues: ["default"] });
    await enqueue("echo", "acme-corp-payroll");
    const body = (await health(READ)).json<{ status: string; reasons: string[] }>();
    expect(body.status).toBe("degraded");
    expect(body.reasons.join()).toContain('queue "acme-corp-payroll"');
  });

  it("reports degraded with the reason when no worker is alive", async () => {
    const res = await health();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "degraded", reasons: ["no live worker"] });
  });

  it("reports ok when a worker is alive and every waiting queue is served", async () => {
    await server.startWorker();
    const res = await health();
    expect(res.json()).toMatchObject({ status: "ok", reasons: [], live_workers: 1 });
  });

  it("reports degraded when jobs wait on a queue no live worker listens to", async () => {
    await server.startWorker({ queues: ["default"] });
    await enqueue("echo", "reports");
    const body = (await health()).json<{ status: string; reasons: string[] }>();
    expect(body.status).toBe("degraded");
    expect(body.reasons.join()).toContain('queue "reports"');
  });

  it("shows per-queue stats with counts, oldest waiting age and last-minute throughput", async () => {
    await enqueue("echo", "high");
    await server.startWorker();
    await failedJob();
    const stats = (await inject("GET", "/monitoring/queue/stats")).json<{ queues: Array<Record<string, unknown>> }>().queues;
    const high = stats.find((q) => q.queue === "high");
    const byDefault = stats.find((q) => q.queue === "default");
    expect(high).toMatchObject({ counts: { QUEUED: 1 }, paused: false });
    expect(high?.oldest_waiting_seconds).toEqual(expect.any(Number));
    expect(byDefault).toMatchObject({ counts: { FAILED: 1 }, failed_last_minute: 1, completed_last_minute: 0 });
  });

  it("lists live workers with their name, queues, state, current jobs and counts", async () => {
    await server.startWorker({ name: "worker-1", queues: ["high", "default"] });
    const id = await enqueue("block");
    await waitFor(async () => {
      const workers = (await inject("GET", "/monitoring/queue/workers")).json<{ workers: Array<{ current_job_ids: string[] }> }>().workers;
      return workers[0]?.current_job_ids.includes(id);
    }, { what: "the worker to report its job" });
    const [worker] = (await inject("GET", "/monitoring/queue/workers")).json<{ workers: Array<Record<string, unknown>> }>().workers;
    expect(worker).toMatchObject({ name: "worker-1", queues: ["high", "default"], tasks: ["block", "echo", "fail", "validated"], state: "busy", pid: process.pid, processed: 0, failed: 0 });
    expect(worker?.last_heartbeat).toMatch(/Z$/);
    await inject("POST", `/jobs/${id}/cancel`);
  });

  it("lists failed jobs with error code and message, paginated", async () => {
    await server.startWorker();
    const a = await failedJob();
    const b = await failedJob();
    const page = (await inject("GET", "/monitoring/queue/failed?limit=1")).json<{ jobs: Array<Record<string, unknown>>; next_cursor: string }>();
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0]).toMatchObject({ job_id: b, status: "FAILED", error: { code: "TASK_ERROR", message: "boom" } });
    const next = (await inject("GET", `/monitoring/queue/failed?limit=1&cursor=${page.next_cursor}`)).json<{ jobs: Array<{ job_id: string }> }>();
    expect(next.jobs.map((j) => j.job_id)).toEqual([a]);
  });

  it("retries one failed job by rq_job_id or job_id, and all failed jobs of a queue", async () => {
    await server.startWorker({ queues: ["default", "other"] });
    const a = await enqueue("fail");
    const b = await enqueue("fail");
    await enqueue("fail", "other");
    await waitFor(async () => (await failedCount()) === 3, { what: "three failures" });
    const rq = await inject("POST", "/monitoring/queue/failed", { rq_job_id: a });
    expect(rq.statusCode).toBe(200);
    expect(rq.json()).toEqual({ job_id: a, status: "QUEUED", retried: 1 });
    expect((await inject("POST", "/monitoring/queue/failed", { job_id: b })).json()).toMatchObject({ job_id: b, status: "QUEUED" });
    expect((await inject("POST", "/monitoring/queue/failed", { rq_job_id: "job_missing" })).statusCode).toBe(404);
    await waitFor(async () => (await failedCount()) === 3, { what: "the retried jobs to fail again" });
    expect((await inject("POST", "/monitoring/queue/failed", { all: true, queue: "other" })).json()).toEqual({ retried: 1 });
    await waitFor(async () => (await failedCount()) === 3, { what: "the retried job to fail again" });
    expect((await inject("POST", "/monitoring/queue/failed", { all: true })).json()).toEqual({ retried: 3 });
  });

  it("answers 409 when the job to retry has not failed", async () => {
    const id = await enqueue("echo");
    const res = await inject("POST", "/monitoring/queue/failed", { rq_job_id: id });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: "INVALID_TRANSITION" } });
  });

  it("rejects malformed retry bodies with 400", async () => {
    for (const body of [{}, { all: false }, { rq_job_id: "a", job_id: "b" }, { all: true, extra: 1 }, { rq_job_id: 5 }]) {
      const res = await inject("POST", "/monitoring/queue/failed", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it("pauses and resumes a queue", async () => {
    expect((await inject("POST", "/queues/default/pause")).json()).toEqual({ queue: "default", paused: true });
    await enqueue("echo");
    const paused = (await inject("GET", "/monitoring/queue/stats")).json<{ queues: Array<{ queue: string; paused: boolean }> }>();
    expect(paused.queues.find((q) => q.queue === "default")?.paused).toBe(true);
    expect((await inject("POST", "/queues/default/resume")).json()).toEqual({ queue: "default", paused: false });
    expect((await inject("POST", "/queues/bad%20name/pause")).statusCode).toBe(400);
  });
});

describe("health when the store misbehaves", () => {
  it("answers 503 down within 2 s when the store's health check hangs", async () => {
    const server = await createTestServer({ wrapStore: (store) => wrapStore(store, { health: () => new Promise(() => undefined) }) });
    try {
      const started = Date.now();
      const res = await server.app.inject({ url: "/monitoring/health" });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: "down" });
    } finally {
      await server.close();
    }
  });

  it("shares one store check among the health requests of one second, and checks again after it or when the clock steps back", async () => {
    let checks = 0;
    const clock = new ManualClock();
    const server = await createTestServer({
      deps: { clock },
      wrapStore: (store) =>
        wrapStore(store, {
          stats: async () => {
            checks += 1;
            return store.stats();
          },
        }),
    });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => server.app.inject({ url: "/monitoring/health" })));
      expect(answers.every((res) => res.statusCode === 200)).toBe(true);
      expect(checks).toBe(1);
      clock.advance(999);
      await server.app.inject({ url: "/monitoring/health" });
      expect(checks).toBe(1);
      clock.advance(1);
      await server.app.inject({ url: "/monitoring/health" });
      expect(checks).toBe(2);
      clock.advance(-1);
      await server.app.inject({ url: "/monitoring/health" });
      expect(checks).toBe(3);
    } finally {
      await server.close();
    }
  });

  it("answers 503 down when the store is unreachable", async () => {
    const server = await createTestServer();
    try {
      await server.store.close();
      const res = await server.app.inject({ url: "/monitoring/health" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: "down" });
    } finally {
      await server.close();
    }
  });

  it("reports the store's warnings as reasons for degraded", async () => {
    const server = await createTestServer({
      wrapStore: (store) => wrapStore(store, { health: async () => ({ ok: true, warnings: ["persistence is off"], details: {} }) }),
    });
    try {
      await server.startWorker();
      expect((await server.app.inject({ url: "/monitoring/health", headers: FULL })).json()).toMatchObject({ status: "degraded", reasons: ["persistence is off"] });
    } finally {
      await server.close();
    }
  });
});
