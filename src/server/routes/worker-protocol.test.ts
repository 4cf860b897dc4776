// The worker protocol over HTTP against a real app on a real SQLite store: claim, heartbeat,
// progress, complete, fail, release, the fencing of every write, server-side timeouts, the
// long-poll, and what the worker token may and may not do.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, FULL_TOKEN, READ, READ_TOKEN, WORKER, WORKER_TOKEN, createTestServer, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";

const ME = { worker: "py-1", incarnation: "incarnation-0001", queues: ["high", "default"], concurrency: 4, host: "test-host", pid: 4242 };

interface ErrorAnswer {
  error: { code: string; message: string };
}

interface ClaimedJob {
  job_id: string;
  task: string;
  payload: unknown;
  lease_token: string;
  timeout_ms: number;
  attempt: number;
}

describe("worker protocol", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer({ deps: { auth: { token: FULL_TOKEN, readonlyToken: READ_TOKEN, workerToken: WORKER_TOKEN, workerQueues: ["high", "default"] } } });
  });
  afterEach(async () => {
    await server.close();
  });

  const post = (url: string, body: object, headers: Record<string, string> = WORKER) => server.app.inject({ method: "POST", url, headers, payload: body });
  const register = () => post("/worker/register", ME);
  async function claim(extra: object = {}): Promise<ClaimedJob[]> {
    const res = await post("/worker/claim", { worker: ME.worker, incarnation: ME.incarnation, queues: ME.queues, wait_ms: 0, ...extra });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ jobs: ClaimedJob[] }>().jobs;
  }
  const heartbeat = (leases: Array<{ job_id: string; lease_token: string }>, extra: object = {}) => post("/worker/heartbeat", { ...ME, leases, ...extra });

  it("claims a job with its lease, reports progress and completes it", async () => {
    expect((await register()).json()).toMatchObject({ worker: "py-1", released: 0, lease_ms: 30000 });
    const queued = await server.client.enqueue("generate_wiki", { project: 42 }, { meta: { projectId: "42" } });
    const [job] = await claim({ limit: 4 });
    expect(job).toMatchObject({ job_id: queued.id, task: "generate_wiki", payload: { project: 42 }, attempt: 1, timeout_ms: 600000 });
    expect((await post(`/worker/jobs/${queued.id}/progress`, { lease_token: job?.lease_token, progress: { percent: 50 } })).json()).toEqual({ job_id: queued.id, status: "PROCESSING" });
    expect((await server.client.requireJob(queued.id)).progress).toEqual({ percent: 50 });
    const done = await post(`/worker/jobs/${queued.id}/complete`, { lease_token: job?.lease_token, result: { pages: 3 } });
    expect(done.json()).toEqual({ job_id: queued.id, status: "COMPLETED" });
    const record = await server.client.requireJob(queued.id);
    expect(record).toMatchObject({ status: "COMPLETED", result: { pages: 3 }, worker: "py-1" });
  });

  it("refuses every write under a stale lease token with 409 LEASE_LOST and changes nothing", async () => {
    const queued = await server.client.enqueue("echo", null);
    const [job] = await claim();
    await server.client.cancel(queued.id);
    await server.client.retry(queued.id);
    const [again] = await claim();
    expect(again?.job_id).toBe(queued.id);
    for (const [url, body] of [
      ["complete", { result: 1 }],
      ["fail", { error: { message: "late" } }],
      ["progress", { progress: 1 }],
      ["release", {}],
    ] as const) {
      const res = await post(`/worker/jobs/${queued.id}/${url}`, { lease_token: job?.lease_token, ...body });
      expect(res.statusCode, url).toBe(409);
      expect(res.json<ErrorAnswer>().error.code).toBe("LEASE_LOST");
    }
    const record = await server.client.requireJob(queued.id);
    expect(record).toMatchObject({ status: "PROCESSING", progress: null, result: null });
  });

  it("fails an attempt by the core's retry rule: retried with backoff, then failed for good", async () => {
    const queued = await server.client.enqueue("flaky", null, { maxAttempts: 2, backoff: { baseMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0 } });
    const [first] = await claim();
    const retried = await post(`/worker/jobs/${queued.id}/fail`, { lease_token: first?.lease_token, error: { message: "boom", stack: "Traceback ..." } });
    expect(retried.json()).toMatchObject({ job_id: queued.id, status: "SCHEDULED" });
    const scheduled = await server.client.requireJob(queued.id);
    expect(scheduled.error).toEqual({ code: "TASK_ERROR", message: "boom", stack: "Traceback ..." });
    expect((scheduled.runAt ?? 0) - Date.now()).toBeGreaterThan(50_000);

    const other = await server.client.enqueue("flaky", null, { maxAttempts: 3 });
    const [second] = await claim();
    expect(second?.job_id).toBe(other.id);
    const final = await post(`/worker/jobs/${other.id}/fail`, { lease_token: second?.lease_token, error: { message: "bad input" }, retryable: false });
    expect(final.json()).toEqual({ job_id: other.id, status: "FAILED", run_at: null });
  });

  it("puts a job off with retry_after_ms without counting the attempt, and fails it with POSTPONED_TOO_OFTEN past the bound", async () => {
    const queued = await server.client.enqueue("upstream", null, { maxAttempts: 1 });
    const [job] = await claim();
    const conflicting = await post(`/worker/jobs/${queued.id}/fail`, { lease_token: job?.lease_token, error: { message: "429" }, retryable: false, retry_after_ms: 1000 });
    expect(conflicting.statusCode).toBe(400);
    expect(conflicting.json<ErrorAnswer>().error.code).toBe("INVALID_OPTIONS");
    expect((await server.client.requireJob(queued.id)).status).toBe("PROCESSING");
    const later = await post(`/worker/jobs/${queued.id}/fail`, { lease_token: job?.lease_token, error: { message: "429" }, retry_after_ms: 60_000 });
    expect(later.json()).toMatchObject({ job_id: queued.id, status: "SCHEDULED" });
    const waiting = await server.client.requireJob(queued.id);
    expect(waiting).toMatchObject({ status: "SCHEDULED", attempt: 0, postponements: 1 });
    expect((waiting.runAt ?? 0) - Date.now()).toBeGreaterThan(50_000);
    // Up to the bound, with no wait: every attempt is handed back uncounted, then the job fails.
    const other = await server.client.enqueue("upstream", null, { maxAttempts: 1 });
    let status = "QUEUED";
    for (let round = 0; round <= 100 && status !== "FAILED"; round++) {
      if (round > 0) await waitFor(async () => (await server.store.promoteDue(10)) > 0, { what: "the postponed job to be due", intervalMs: 1 });
      const [next] = await claim();
      expect(next, `round ${round}`).toMatchObject({ job_id: other.id, attempt: 1 });
      status = (await post(`/worker/jobs/${other.id}/fail`, { lease_token: next?.lease_token, error: { message: "429" }, retry_after_ms: 1 })).json<{ status: string }>().status;
    }
    expect(await server.client.requireJob(other.id)).toMatchObject({ status: "FAILED", postponements: 100, error: { code: "POSTPONED_TOO_OFTEN" } });
  });

  it("releases a job back to QUEUED without counting the attempt", async () => {
    const queued = await server.client.enqueue("echo", null);
    const [job] = await claim();
    expect((await post(`/worker/jobs/${queued.id}/release`, { lease_token: job?.lease_token })).json()).toEqual({ job_id: queued.id, status: "QUEUED" });
    const [again] = await claim();
    expect(again).toMatchObject({ job_id: queued.id, attempt: 1 });
  });

  it("fails a claimed job of a task the worker does not run with UNKNOWN_TASK, as a Node worker does", async () => {
    const queued = await server.client.enqueue("not_mine", null);
    expect(await claim({ tasks: ["generate_wiki"] })).toEqual([]);
    const record = await server.client.requireJob(queued.id);
    expect(record.status).toBe("FAILED");
    expect(record.error?.code).toBe("UNKNOWN_TASK");
  });

  it("extends leases in one heartbeat and names the jobs that were canceled", async () => {
    await register();
    const a = await server.client.enqueue("echo", null);
    const b = await server.client.enqueue("echo", null);
    const jobs = await claim({ limit: 2 });
    await server.client.cancel(b.id);
    const res = await heartbeat(jobs.map((j) => ({ job_id: j.job_id, lease_token: j.lease_token })));
    expect(res.json()).toEqual({ lost: [{ job_id: b.id, reason: "canceled" }], superseded: false });
    const workers = (await server.app.inject({ method: "GET", url: "/monitoring/queue/workers", headers: FULL })).json<{ workers: Array<{ name: string; current_job_ids: string[]; host: string }> }>();
    expect(workers.workers.find((w) => w.name === "py-1")).toMatchObject({ host: "test-host", current_job_ids: [a.id] });
  });

  it("says a heartbeat's worker was superseded once another incarnation registered its name", async () => {
    await register();
    await post("/worker/register", { ...ME, incarnation: "incarnation-0002", pid: 4343 });
    expect((await heartbeat([])).json()).toMatchObject({ superseded: true });
  });

  it("releases the jobs of an earlier incarnation when the worker registers again", async () => {
    await register();
    const queued = await server.client.enqueue("echo", null);
    await claim();
    const again = await post("/worker/register", { ...ME, incarnation: "incarnation-0002" });
    expect(again.json()).toMatchObject({ released: 1 });
    expect((await server.client.requireJob(queued.id)).status).toBe("QUEUED");
  });

  it("fails a job past its timeout on the server and tells the next heartbeat", async () => {
    const queued = await server.client.enqueue("slow", null, { timeoutMs: 200 });
    const [job] = await claim();
    await waitFor(async () => (await server.client.requireJob(queued.id)).status === "FAILED");
    expect((await server.client.requireJob(queued.id)).error?.code).toBe("TIMEOUT");
    const res = await heartbeat([{ job_id: queued.id, lease_token: job?.lease_token ?? "" }]);
    expect(res.json<{ lost: unknown }>().lost).toEqual([{ job_id: queued.id, reason: "timeout" }]);
    const late = await post(`/worker/jobs/${queued.id}/complete`, { lease_token: job?.lease_token, result: 1 });
    expect(late.statusCode).toBe(409);
  });

  it("waits for work (long-poll) and answers as soon as a job arrives", async () => {
    const pending = post("/worker/claim", { worker: ME.worker, incarnation: ME.incarnation, queues: ["default"], wait_ms: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const queued = await server.client.enqueue("echo", null);
    const res = await pending;
    const answer = res.json<{ jobs: ClaimedJob[]; claimed_after_ms: number }>();
    expect(answer.jobs.map((j) => j.job_id)).toEqual([queued.id]);
    expect(answer.claimed_after_ms).toBeGreaterThanOrEqual(0);
  });

  it("takes the queues in strict priority order", async () => {
    const low = await server.client.enqueue("echo", null, { queue: "default" });
    const high = await server.client.enqueue("echo", null, { queue: "high" });
    expect((await claim({ limit: 2 })).map((j) => j.job_id)).toEqual([high.id, low.id]);
  });

  it("ends a waiting claim at once, empty, when the server closes", async () => {
    const answer = post("/worker/claim", { worker: ME.worker, incarnation: ME.incarnation, queues: ["default"], wait_ms: 25_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.app.close();
    expect((await answer).json()).toMatchObject({ jobs: [] });
  });

  it("rejects malformed protocol requests with 400 and stores nothing", async () => {
    for (const body of [
      { ...ME, worker: "bad name with spaces" },
      { ...ME, incarnation: "x" },
      { ...ME, queues: [] },
      { ...ME, surprise: true },
    ]) {
      const res = await post("/worker/register", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<ErrorAnswer>().error.code).toBe("BAD_REQUEST");
    }
    expect((await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["default"], wait_ms: 60_000 })).statusCode).toBe(400);
    expect((await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["default"], limit: 5000 })).statusCode).toBe(400);
    expect(await server.client.workers()).toEqual([]);
  });

  describe("tokens", () => {
    it("lets the worker token claim and settle and nothing else (403)", async () => {
      const queued = await server.client.enqueue("echo", null);
      for (const [method, url, body] of [
        ["POST", "/jobs", { task: "echo", payload: null }],
        ["GET", `/jobs/${queued.id}`, undefined],
        ["GET", "/jobs", undefined],
        ["POST", `/jobs/${queued.id}/cancel`, {}],
        ["DELETE", `/jobs/${queued.id}`, undefined],
        ["GET", "/monitoring/queue/stats", undefined],
        ["GET", "/monitoring/queue/workers", undefined],
        ["POST", "/monitoring/queue/failed", { all: true }],
        ["POST", "/queues/default/pause", {}],
        ["GET", "/schedules", undefined],
        ["GET", "/metrics", undefined],
        ["GET", "/events", undefined],
      ] as const) {
        const res = await server.app.inject({ method, url, headers: WORKER, ...(body === undefined ? {} : { payload: body }) });
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.json<ErrorAnswer>().error.code).toBe("FORBIDDEN");
      }
      const health = await server.app.inject({ method: "GET", url: "/monitoring/health", headers: WORKER });
      expect(Object.keys(health.json())).toEqual(["status"]);
      expect((await claim()).map((j) => j.job_id)).toEqual([queued.id]);
    });

    it("keeps a restricted worker token to its queues", async () => {
      const res = await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["high", "reports"], wait_ms: 0 });
      expect(res.statusCode).toBe(403);
      expect(res.json<ErrorAnswer>().error.message).toContain("reports");
      expect((await post("/worker/register", { ...ME, queues: ["reports"] })).statusCode).toBe(403);
      // The full token runs the protocol on any queue.
      const full = await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["reports"], wait_ms: 0 }, FULL);
      expect(full.statusCode).toBe(200);
    });

    it("refuses the protocol to the read-only token and to no token", async () => {
      const read = await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["default"], wait_ms: 0 }, READ);
      expect(read.statusCode).toBe(403);
      const none = await post("/worker/claim", { worker: "w", incarnation: "incarnation-1", queues: ["default"], wait_ms: 0 }, {});
      expect(none.statusCode).toBe(401);
    });
  });
});
