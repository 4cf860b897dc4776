// Dependencies, flows and batches over HTTP through app.inject() on a real SQLite store, with a
// real worker where jobs run: the fields, the answers, the bounds, and that a refusal stores nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, READ, createTestServer, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";

interface View {
  job_id: string;
  status: string;
  task: string;
  depends_on: string[];
  depends_on_count: number;
  on_dependency_failure: string;
  dependencies: { total: number; waiting: number; completed: number; failed: number; canceled: number } | null;
  dependents: number;
  parent_id: string | null;
  flow_id: string | null;
  result: unknown;
  error: { code: string; message: string } | null;
}

type ErrorAnswer = { error: { code: string; message: string } };

/** A chain of `depth` levels below a root, each with one child. */
function chain(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { task: "echo", payload: { value: depth } };
  for (let level = depth - 1; level >= 0; level--) node = { task: "echo", payload: { value: level }, children: [node] };
  return node;
}

describe("dependency, flow and batch routes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const post = (url: string, payload: unknown, headers = FULL) => server.app.inject({ method: "POST", url, headers, payload: payload as object });
  const get = (url: string, headers = FULL) => server.app.inject({ method: "GET", url, headers });
  const view = async (id: string): Promise<View> => (await get(`/jobs/${id}`)).json<View>();
  const jobCount = async () => (await server.client.listJobs({}, { limit: 500 })).jobs.length;
  const enqueue = async (body: Record<string, unknown>): Promise<string> => {
    const res = await post("/jobs", body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ job_id: string }>().job_id;
  };

  it("stores a job with depends_on DEFERRED, shows its dependency fields, and runs it after its dependency", async () => {
    const first = await enqueue({ task: "echo", payload: { value: 1 } });
    const second = await post("/jobs", { task: "echo", payload: { value: 2 }, depends_on: [first], on_dependency_failure: "run" });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ status: "DEFERRED" });
    const id = second.json<{ job_id: string }>().job_id;
    expect(await view(id)).toMatchObject({
      depends_on: [first],
      depends_on_count: 1,
      on_dependency_failure: "run",
      dependencies: { total: 1, waiting: 1, completed: 0, failed: 0, canceled: 0 },
      dependents: 0,
      parent_id: null,
      flow_id: null,
    });
    expect(await view(first)).toMatchObject({ depends_on: [], depends_on_count: 0, on_dependency_failure: "fail", dependencies: null, dependents: 1 });

    const deferred = (await get("/jobs?status=DEFERRED")).json<{ jobs: View[] }>();
    expect(deferred.jobs.map((j) => j.job_id)).toEqual([id]);
    const stats = (await get("/monitoring/queue/stats")).json<{ queues: Array<{ queue: string; counts: Record<string, number> }> }>();
    expect(stats.queues.find((q) => q.queue === "default")?.counts).toMatchObject({ DEFERRED: 1, QUEUED: 1 });
    expect((await get("/metrics")).body).toContain('caudex_jobs{queue="default",status="DEFERRED"} 1');

    await server.startWorker();
    await waitFor(async () => (await view(id)).status === "COMPLETED", { what: "the dependent to complete" });
    expect(await view(id)).toMatchObject({ result: 2, dependencies: { total: 1, waiting: 0, completed: 1 } });
    const outcomes = (await get(`/jobs/${id}/dependencies`)).json<{ dependencies: unknown[] }>();
    expect(outcomes.dependencies).toEqual([{ job_id: first, task: "echo", status: "COMPLETED", result: 1, error: null }]);
  });

  it("refuses an unknown dependency with 400 DEPENDENCY_NOT_FOUND, and malformed dependency fields with 400, storing nothing", async () => {
    const unknown = await post("/jobs", { task: "echo", payload: {}, depends_on: ["job_missing"] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<ErrorAnswer>().error).toMatchObject({ code: "DEPENDENCY_NOT_FOUND", message: expect.stringContaining("job_missing") as string });
    for (const body of [
      { task: "echo", payload: {}, depends_on: "job_a" },
      { task: "echo", payload: {}, depends_on: [42] },
      { task: "echo", payload: {}, depends_on: [""] },
      { task: "echo", payload: {}, depends_on: ["job\u0000a"] },
      { task: "echo", payload: {}, depends_on: Array.from({ length: 10_001 }, (_, i) => `job_${i}`) },
      { task: "echo", payload: {}, on_dependency_failure: "ignore" },
    ]) {
      const res = await post("/jobs", body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json<ErrorAnswer>().error.code).toBe("BAD_REQUEST");
    }
    expect(await jobCount()).toBe(0);
  });

  it("lists the first 100 dependency ids of a job with the count of all of them", async () => {
    const { jobs } = await server.client.enqueueBatch({ jobs: Array.from({ length: 150 }, (_, i) => ({ task: "echo", payload: { value: i } })), callback: { task: "echo", payload: {} } });
    const callback = await view(jobs[0]?.parentId ?? "");
    expect(callback.depends_on).toHaveLength(100);
    expect(callback.depends_on).toEqual(jobs.slice(0, 100).map((j) => j.id));
    expect(callback.depends_on_count).toBe(150);
  });

  it("enqueues a flow whole, runs each parent after its children, and shows its tree", async () => {
    const res = await post("/flows", {
      task: "echo",
      payload: { value: "root" },
      queue: "default",
      children: [
        { task: "echo", payload: { value: "a" } },
        { task: "echo", payload: { value: "b" }, max_attempts: 2, children: [{ task: "echo", payload: { value: "c" }, meta: { project_id: "p1" } }] },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const { root, jobs } = res.json<{ root: View; jobs: View[] }>();
    expect(jobs).toHaveLength(4);
    // Children before their parents: the root is last.
    expect(jobs[jobs.length - 1]?.job_id).toBe(root.job_id);
    expect(root).toMatchObject({ status: "DEFERRED", flow_id: root.job_id, parent_id: null, depends_on_count: 2 });
    const b = jobs.find((j) => JSON.stringify(j).includes('"value":"b"'));
    expect(b).toMatchObject({ parent_id: root.job_id, flow_id: root.job_id, status: "DEFERRED", depends_on_count: 1 });
    const c = jobs.find((j) => j.parent_id === b?.job_id);
    expect(c).toMatchObject({ status: "QUEUED", flow_id: root.job_id });

    const tree = (await get(`/jobs/${c?.job_id ?? ""}/tree`, READ)).json<{ root_id: string; truncated: boolean; jobs: View[] }>();
    expect(tree).toMatchObject({ root_id: root.job_id, truncated: false });
    expect(tree.jobs[0]?.job_id).toBe(root.job_id);
    expect(tree.jobs.map((j) => j.job_id).sort()).toEqual(jobs.map((j) => j.job_id).sort());

    await server.startWorker();
    await waitFor(async () => (await view(root.job_id)).status === "COMPLETED", { what: "the flow's root to complete" });
    const outcomes = (await get(`/jobs/${root.job_id}/dependencies`, READ)).json<{ dependencies: Array<{ status: string; result: unknown }> }>();
    expect(outcomes.dependencies.map((d) => [d.status, d.result])).toEqual([["COMPLETED", "a"], ["COMPLETED", "b"]]);
  });

  it("takes a flow 32 levels deep and refuses a 33rd level, more than 10,000 jobs, an idempotency key and a bad job, storing nothing", async () => {
    const deep = await post("/flows", chain(32));
    expect(deep.statusCode, deep.body).toBe(201);
    expect(deep.json<{ jobs: View[] }>().jobs).toHaveLength(33);
    const before = await jobCount();

    const tooDeep = await post("/flows", chain(33));
    expect(tooDeep.statusCode).toBe(400);
    expect(tooDeep.json<ErrorAnswer>().error).toMatchObject({ code: "INVALID_OPTIONS", message: expect.stringContaining("32 levels") as string });
    for (const body of [
      { task: "echo", payload: {}, children: [{ task: "echo", payload: {}, idempotency_key: "k" }] },
      { task: "echo", payload: {}, children: [{ task: "bad name!", payload: {} }] },
      { task: "echo", payload: {}, children: [{ task: "echo" }] },
      { task: "echo", payload: {}, children: {} },
    ]) {
      const res = await post("/flows", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<ErrorAnswer>().error.code).toBe("BAD_REQUEST");
    }
    const many = Array.from({ length: 10_000 }, () => ({ task: "echo", payload: null }));
    const tooMany = await post("/flows", { task: "echo", payload: {}, children: many });
    expect(tooMany.json<ErrorAnswer>().error).toMatchObject({ code: "INVALID_OPTIONS", message: expect.stringContaining("10000 jobs") as string });
    expect((await post("/batches", { jobs: many, callback: { task: "echo", payload: {} } })).json<ErrorAnswer>().error.code).toBe("BAD_REQUEST");
    const missing = await post("/flows", { task: "echo", payload: {}, children: [{ task: "echo", payload: {}, depends_on: ["job_missing"] }] });
    expect(missing.json<ErrorAnswer>().error.code).toBe("DEPENDENCY_NOT_FOUND");
    expect(await jobCount()).toBe(before);
  });

  it("enqueues a batch, counts how its members ended, and calls back once under on: always", async () => {
    const res = await post("/batches", {
      jobs: [{ task: "echo", payload: { value: 1 } }, { task: "fail", payload: {}, max_attempts: 1 }, { task: "echo", payload: { value: 3 } }],
      callback: { task: "echo", payload: { value: "done" } },
      on: "always",
    });
    expect(res.statusCode, res.body).toBe(201);
    const { batch, jobs } = res.json<{ batch: { batch_id: string; finished: boolean; counts: unknown; callback: View }; jobs: View[] }>();
    expect(jobs).toHaveLength(3);
    expect(batch).toMatchObject({ finished: false, counts: { total: 3, waiting: 3, completed: 0, failed: 0, canceled: 0 }, callback: { job_id: batch.batch_id, status: "DEFERRED", on_dependency_failure: "run" } });
    expect(jobs.every((j) => j.parent_id === batch.batch_id && j.flow_id === batch.batch_id)).toBe(true);

    await server.startWorker();
    await waitFor(async () => (await view(batch.batch_id)).status === "COMPLETED", { what: "the batch's callback to complete" });
    const read = await get(`/batches/${batch.batch_id}`, READ);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ batch_id: batch.batch_id, finished: true, counts: { total: 3, waiting: 0, completed: 2, failed: 1, canceled: 0 }, callback: { status: "COMPLETED", result: "done" } });
  });

  it("fails a batch's callback with DEPENDENCY_FAILED under on: success, and answers 404 for an unknown batch", async () => {
    const res = await post("/batches", { jobs: [{ task: "fail", payload: {}, max_attempts: 1 }], callback: { task: "echo", payload: {} } });
    const id = res.json<{ batch: { batch_id: string } }>().batch.batch_id;
    await server.startWorker();
    await waitFor(async () => (await view(id)).status === "FAILED", { what: "the callback to fail" });
    expect((await view(id)).error?.code).toBe("DEPENDENCY_FAILED");
    const unknown = await get("/batches/job_missing");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<ErrorAnswer>().error.code).toBe("JOB_NOT_FOUND");
    expect((await get("/jobs/job_missing/tree")).statusCode).toBe(404);
    expect((await get("/jobs/job_missing/dependencies")).statusCode).toBe(404);
  });

  it("refuses an empty batch and a bad on, and the read-only token's writes", async () => {
    for (const body of [{ jobs: [], callback: { task: "echo", payload: {} } }, { jobs: [{ task: "echo", payload: {} }], callback: { task: "echo", payload: {} }, on: "never" }, { jobs: [{ task: "echo", payload: {} }] }]) {
      const res = await post("/batches", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await post("/flows", { task: "echo", payload: {} }, READ)).statusCode).toBe(403);
    expect((await post("/batches", { jobs: [{ task: "echo", payload: {} }], callback: { task: "echo", payload: {} } }, READ)).statusCode).toBe(403);
    expect(await jobCount()).toBe(0);
  });

  it("cancels a flow's jobs with its root, and refuses to delete a job that others wait for with 409 HAS_DEPENDENTS", async () => {
    const { root, jobs } = (await post("/flows", { task: "echo", payload: {}, children: [{ task: "echo", payload: {} }, { task: "echo", payload: {} }] })).json<{ root: View; jobs: View[] }>();
    const child = jobs[0]?.job_id ?? "";
    const removal = await server.app.inject({ method: "DELETE", url: `/jobs/${child}`, headers: FULL });
    expect(removal.statusCode).toBe(409);
    expect(removal.json<ErrorAnswer>().error.code).toBe("HAS_DEPENDENTS");
    const canceled = await post(`/jobs/${root.job_id}/cancel`, undefined);
    expect(canceled.json()).toMatchObject({ status: "CANCELED" });
    for (const job of jobs) expect((await view(job.job_id)).status).toBe("CANCELED");
  });
});
