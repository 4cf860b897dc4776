// The job routes through app.inject() on a real SQLite store, with a real worker where jobs run.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, createTestServer, wrapStore, type TestServer } from "../../../test/support/server.js";
import { StoreUnavailableError } from "../../core/errors.js";
import { newJob } from "../../../test/support/jobs.js";
import { waitFor } from "../../../test/support/wait-for.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("job routes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const post = (url: string, payload?: unknown) =>
    server.app.inject({ method: "POST", url, headers: FULL, ...(payload === undefined ? {} : { payload: payload as object }) });
  const get = (url: string) => server.app.inject({ method: "GET", url, headers: FULL });
  const jobCount = async () => (await server.client.listJobs({}, { limit: 500 })).jobs.length;

  it("enqueues a job and answers 201 with the job, created: true, and its Location", async () => {
    const res = await post("/jobs", { task: "echo", payload: { value: 1 }, meta: { project_id: "p1", user_id: "u1", extra: true } });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ job_id: string; status: string }>();
    expect(body).toMatchObject({ job_id: expect.stringMatching(/^job_/) as string, status: "QUEUED", task: "echo", payload: { value: 1 }, created: true });
    expect(res.headers.location).toBe(`/jobs/${body.job_id}`);
    const { created, warnings, ...view } = body as unknown as { created: boolean; warnings: unknown[] };
    expect(created).toBe(true);
    // No worker runs in this test: the job is stored, with a warning (docs/explain.md).
    expect(warnings).toEqual([expect.objectContaining({ code: "NO_WORKER_FOR_QUEUE" })]);
    // As GET /jobs/{id} shows it (which adds held_by, the one field computed on read).
    expect({ ...view, held_by: null }).toEqual((await get(`/jobs/${body.job_id}`)).json());
    const job = await server.client.requireJob(body.job_id);
    expect(job.meta).toEqual({ projectId: "p1", userId: "u1", extra: true });
  });

  it("answers 200 with the existing job when the idempotency key was seen", async () => {
    const first = await post("/jobs", { task: "echo", payload: {}, idempotency_key: "wiki-42" });
    const second = await post("/jobs", { task: "echo", payload: { other: true }, idempotency_key: "wiki-42" });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json<{ job_id: string }>().job_id).toBe(first.json<{ job_id: string }>().job_id);
    // The same shape as a creation, with the flag saying nothing was stored.
    expect(second.json()).toMatchObject({ created: false, payload: {}, idempotency_key: "wiki-42" });
    expect(Object.keys(second.json<object>()).sort()).toEqual(Object.keys(first.json<object>()).sort());
    expect(second.headers.location).toBe(first.headers.location);
    expect(await jobCount()).toBe(1);
  });

  it("names the field and the rule it broke in a 400, and stores nothing", async () => {
    const cases: Array<[object, string]> = [
      [{ task: "echo", payload: 1, max_attempts: "x" }, "body/max_attempts must be integer (rule: type)"],
      [{ task: "echo", payload: 1, bogus: 1 }, "body/bogus is not a known field (rule: additionalProperties)"],
      [{ payload: 1 }, "body/task is required (rule: required)"],
      [{ task: "echo", payload: 1, depends_on: [1] }, "body/depends_on/0 must be string (rule: type)"],
    ];
    for (const [body, message] of cases) {
      const res = await post("/jobs", body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: { code: "BAD_REQUEST", message } });
    }
    expect(await jobCount()).toBe(0);
  });

  it("converts timeout and delay from seconds and run_at from ISO time", async () => {
    const delayed = await post("/jobs", { task: "echo", payload: null, timeout: 2.5, delay: 60, max_attempts: 7, queue: "high" });
    expect(delayed.json()).toMatchObject({ status: "SCHEDULED" });
    const job = await server.client.requireJob(delayed.json<{ job_id: string }>().job_id);
    expect(job).toMatchObject({ timeoutMs: 2500, maxAttempts: 7, queue: "high" });
    const runAt = new Date(Date.now() + 3600_000).toISOString();
    const at = await post("/jobs", { task: "echo", payload: null, run_at: runAt });
    const view = (await get(`/jobs/${at.json<{ job_id: string }>().job_id}`)).json<{ run_at: string; status: string }>();
    expect(view).toMatchObject({ run_at: runAt, status: "SCHEDULED" });
  });

  it("rejects delay together with run_at, bad names and unknown fields with 400 and stores nothing", async () => {
    for (const body of [
      { task: "echo", payload: 1, delay: 1, run_at: new Date().toISOString() },
      { task: "bad name!", payload: 1 },
      { task: "echo", payload: 1, priority: 3 },
      { task: "echo" },
      { task: "echo", payload: 1, timeout: -1 },
      { task: "echo", payload: 1, run_at: "tomorrow" },
      { task: "echo", payload: 1, meta: { project_id: 42 } },
    ]) {
      const res = await post("/jobs", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code).toMatch(/^(BAD_REQUEST|INVALID_OPTIONS)$/);
    }
    expect(await jobCount()).toBe(0);
  });

  it("shows a completed job in the original snake_case shape with ISO times", async () => {
    await server.startWorker();
    const id = (await post("/jobs", { task: "echo", payload: { value: "done" }, meta: { project_id: "p9" } })).json<{ job_id: string }>().job_id;
    await waitFor(async () => (await server.client.requireJob(id)).status === "COMPLETED", { what: "the job to complete" });
    const view = (await get(`/jobs/${id}`)).json<Record<string, unknown>>();
    for (const key of ["job_id", "status", "queue", "task", "created_at", "started_at", "completed_at", "progress", "result", "error", "attempt", "max_attempts", "retries", "meta"]) {
      expect(view, key).toHaveProperty(key);
    }
    expect(view).toMatchObject({ job_id: id, status: "COMPLETED", queue: "default", task: "echo", result: "done", error: null, attempt: 1, max_attempts: 3, retries: 0, meta: { project_id: "p9" } });
    for (const key of ["created_at", "started_at", "completed_at"]) expect(view[key]).toMatch(ISO);
  });

  it("shows a stored time past the last date a Date holds as that date, not a 500", async () => {
    // Earlier builds stored any finite run time; the client refuses such times now.
    const [stored] = await server.store.enqueue([newJob({ runAt: 1e20 })]);
    const res = await get(`/jobs/${stored?.job.id ?? ""}`);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ run_at: string }>().run_at).toBe("+275760-09-13T00:00:00.000Z");
    expect((await get("/jobs?status=SCHEDULED")).statusCode).toBe(200);
  });

  it("answers 404 JOB_NOT_FOUND for an unknown job", async () => {
    const res = await get("/jobs/job_nope");
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: "JOB_NOT_FOUND", message: expect.any(String) as string } });
  });

  it("answers 400 BAD_REQUEST for a job id with control characters, on reads and changes", async () => {
    for (const res of [await get("/jobs/%00"), await get("/jobs/job%0A1/events"), await post("/jobs/%00/retry"), await post("/monitoring/queue/failed", { job_id: "\u0000" })]) {
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code).toBe("BAD_REQUEST");
    }
  });

  it("lists jobs newest first with filters and cursor pages, capping the limit", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const meta = { project_id: i % 2 === 0 ? "even" : "odd" };
      ids.push((await post("/jobs", { task: i < 3 ? "echo" : "fail", payload: i, meta })).json<{ job_id: string }>().job_id);
    }
    const first = (await get("/jobs?limit=2")).json<{ jobs: Array<{ job_id: string }>; next_cursor: string }>();
    expect(first.jobs.map((j) => j.job_id)).toEqual([ids[4], ids[3]]);
    const second = (await get(`/jobs?limit=2&cursor=${first.next_cursor}`)).json<{ jobs: Array<{ job_id: string }> }>();
    expect(second.jobs.map((j) => j.job_id)).toEqual([ids[2], ids[1]]);
    const even = (await get("/jobs?project_id=even&task=echo&status=QUEUED&queue=default")).json<{ jobs: unknown[] }>();
    expect(even.jobs).toHaveLength(2);
    const capped = await get("/jobs?limit=999999999");
    expect(capped.statusCode).toBe(200);
    expect((await get("/jobs?limit=ten")).statusCode).toBe(400);
    expect((await get("/jobs?status=DONE")).statusCode).toBe(400);
  });

  it("answers 400 INVALID_CURSOR for a cursor the store never handed out, on both listings", async () => {
    await post("/jobs", { task: "echo", payload: 1 });
    for (const url of ["/jobs?cursor=garbage", "/jobs?cursor=job_%0A", "/monitoring/queue/failed?cursor=garbage"]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: "INVALID_CURSOR", message: expect.stringContaining("first page") as string });
    }
  });

  it("retries, cancels and deletes, with 409 when the state does not allow it", async () => {
    const id = (await post("/jobs", { task: "echo", payload: 1 })).json<{ job_id: string }>().job_id;
    expect((await post(`/jobs/${id}/retry`)).statusCode).toBe(409);
    const canceled = await post(`/jobs/${id}/cancel`);
    expect(canceled.json()).toMatchObject({ status: "CANCELED" });
    expect((await post(`/jobs/${id}/cancel`)).json()).toMatchObject({ error: { code: "INVALID_TRANSITION" } });
    expect((await post(`/jobs/${id}/retry`)).json()).toMatchObject({ status: "QUEUED" });
    expect((await server.app.inject({ method: "DELETE", url: `/jobs/${id}`, headers: FULL })).statusCode).toBe(204);
    expect((await get(`/jobs/${id}`)).statusCode).toBe(404);
    expect((await post("/jobs/job_missing/cancel")).statusCode).toBe(404);
  });

  it("counts a failed job's manual retries in retries while attempt starts again", async () => {
    await server.startWorker();
    const id = (await post("/jobs", { task: "fail", payload: null, max_attempts: 1 })).json<{ job_id: string }>().job_id;
    const failedAgain = async (): Promise<Record<string, unknown>> => {
      await waitFor(async () => (await server.client.requireJob(id)).status === "FAILED", { what: "the job to fail" });
      return (await get(`/jobs/${id}`)).json<Record<string, unknown>>();
    };
    expect(await failedAgain()).toMatchObject({ status: "FAILED", attempt: 1, max_attempts: 1, retries: 0 });
    expect((await post(`/jobs/${id}/retry`)).json()).toMatchObject({ status: "QUEUED", attempt: 0, retries: 1 });
    expect(await failedAgain()).toMatchObject({ status: "FAILED", attempt: 1, retries: 1 });
    expect((await post("/monitoring/queue/failed", { all: true })).json()).toEqual({ retried: 1 });
    expect(await failedAgain()).toMatchObject({ status: "FAILED", attempt: 1, retries: 2 });
    const listed = (await get("/jobs?status=FAILED")).json<{ jobs: Array<{ job_id: string; retries: number }> }>();
    expect(listed.jobs).toEqual([expect.objectContaining({ job_id: id, retries: 2 })]);
  });

  it("refuses to delete a running job with 409", async () => {
    await server.startWorker();
    const id = (await post("/jobs", { task: "block", payload: null })).json<{ job_id: string }>().job_id;
    await waitFor(async () => (await server.client.requireJob(id)).status === "PROCESSING", { what: "the job to start" });
    const res = await server.app.inject({ method: "DELETE", url: `/jobs/${id}`, headers: FULL });
    expect(res.statusCode).toBe(409);
    await post(`/jobs/${id}/cancel`);
  });

  it("shows a job's timeline of events, oldest first", async () => {
    await server.startWorker();
    const id = (await post("/jobs", { task: "echo", payload: {} })).json<{ job_id: string }>().job_id;
    await waitFor(async () => (await server.client.requireJob(id)).status === "COMPLETED");
    const events = (await get(`/jobs/${id}/events`)).json<{ events: Array<{ type: string; at: string }> }>().events;
    expect(events.map((e) => e.type)).toEqual(["job:enqueued", "job:started", "job:completed"]);
    expect(events[0]?.at).toMatch(ISO);
    expect((await get("/jobs/job_nope/events")).statusCode).toBe(404);
  });
});

describe("job routes with the tasks module", () => {
  it("rejects an unknown task or a payload failing its schema with 400 and stores nothing", async () => {
    const server = await createTestServer({ withTasks: true });
    try {
      const post = (payload: object) => server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload });
      const unknown = await post({ task: "no_such_task", payload: {} });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({ error: { code: "UNKNOWN_TASK" } });
      const invalid = await post({ task: "validated", payload: { n: "one" } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({ error: { code: "INVALID_PAYLOAD" } });
      expect((await server.client.listJobs()).jobs).toHaveLength(0);
      expect((await post({ task: "validated", payload: { n: 1 } })).statusCode).toBe(201);
    } finally {
      await server.close();
    }
  });

  it("without the tasks module, stores a well-formed unknown task that the worker fails with UNKNOWN_TASK", async () => {
    const server = await createTestServer();
    try {
      await server.startWorker();
      const res = await server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task: "no_such_task", payload: {} } });
      const id = res.json<{ job_id: string }>().job_id;
      await waitFor(async () => (await server.client.requireJob(id)).status === "FAILED", { what: "the job to fail" });
      const view = (await server.app.inject({ url: `/jobs/${id}`, headers: FULL })).json<{ error: { code: string }; attempt: number }>();
      expect(view.error.code).toBe("UNKNOWN_TASK");
      expect(view.attempt).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("answers 503 STORE_UNAVAILABLE with the store's reason when the store is out of space", async () => {
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const refusal = new StoreUnavailableError(`The store is out of space: ${full.message}`, full);
    const server = await createTestServer({ wrapStore: (store) => wrapStore(store, { enqueue: () => Promise.reject(refusal) }) });
    try {
      const res = await server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task: "echo", payload: {} } });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ error: { code: "STORE_UNAVAILABLE", message: refusal.message } });
    } finally {
      await server.close();
    }
  });
});
