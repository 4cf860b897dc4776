// GET /jobs/{id}/explain over HTTP (read-only token, snake_case reasons, 404 and 400) and the
// warnings of POST /jobs, against a real SQLite store and real workers.
import { afterEach, describe, expect, it } from "vitest";
import { FULL, READ, WORKER, createTestServer, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface Reason {
  code: string;
  message: string;
  [field: string]: unknown;
}

describe("GET /jobs/{id}/explain", () => {
  it("answers the reasons in snake_case to a read-only token, and 404 or 400 for an unknown or bad id", async () => {
    server = await createTestServer();
    await server.client.pauseQueue("default");
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = (await server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task: "echo", payload: null, run_at: runAt } })).json<{ job_id: string }>();
    const res = await server.app.inject({ url: `/jobs/${scheduled.job_id}/explain`, headers: READ });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ job_id: string; status: string; reasons: Reason[] }>();
    expect(body).toMatchObject({ job_id: scheduled.job_id, status: "SCHEDULED" });
    expect(body.reasons.map((r) => r.code)).toEqual(["SCHEDULED_UNTIL", "QUEUE_PAUSED", "NO_WORKER_FOR_QUEUE"]);
    expect(body.reasons[0]).toMatchObject({ until: runAt });
    expect(body.reasons[1]).toMatchObject({ queue: "default" });

    const missing = await server.app.inject({ url: "/jobs/job_unknown/explain", headers: READ });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe("JOB_NOT_FOUND");
    expect((await server.app.inject({ url: "/jobs/%01/explain", headers: READ })).statusCode).toBe(400);
  });

  it("names a queued job's place and the busy slots with their counts", async () => {
    server = await createTestServer();
    await server.startWorker();
    const enqueue = async (task: string): Promise<string> =>
      (await server!.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task, payload: null } })).json<{ job_id: string }>().job_id;
    const blocker = await enqueue("block");
    await waitFor(async () => (await server!.client.requireJob(blocker)).status === "PROCESSING", { what: "the blocking job to start" });
    await enqueue("echo");
    const last = await enqueue("echo");
    const reasons = await waitFor(async () => {
      const body = (await server!.app.inject({ url: `/jobs/${last}/explain`, headers: READ })).json<{ reasons: Reason[] }>();
      return body.reasons[0]?.code === "WORKERS_BUSY" ? body.reasons : null;
    }, { what: "the worker's heartbeat to show its slot taken" });
    expect(reasons).toEqual([
      expect.objectContaining({ code: "WORKERS_BUSY", queue: "default", workers: 1, slots: 1 }),
      expect.objectContaining({ code: "QUEUE_POSITION", queue: "default", ahead: 1, at_least: false }),
    ]);
    await server.client.cancel(blocker);
  });
});

describe("POST /jobs warnings", () => {
  it("warns, and stores the job all the same, when no live worker listens on its queue or runs its task", async () => {
    server = await createTestServer();
    const post = async (payload: object): Promise<{ status: number; body: { job_id: string; warnings: Reason[] } }> => {
      const res = await server!.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload });
      return { status: res.statusCode, body: res.json() };
    };
    const alone = await post({ task: "echo", payload: null });
    expect(alone.status).toBe(201);
    expect(alone.body.warnings).toEqual([expect.objectContaining({ code: "NO_WORKER_FOR_QUEUE", queue: "default" })]);
    expect((await server.client.requireJob(alone.body.job_id)).status).toBe("QUEUED");

    await server.startWorker();
    // The registry is read at most once a second for warnings: the worker shows up within it.
    const served = await waitFor(async () => {
      const answer = await post({ task: "echo", payload: null });
      return answer.body.warnings.length === 0 ? answer : null;
    }, { what: "the worker to be seen by enqueue warnings" });
    expect(served.status).toBe(201);
    const unknown = await post({ task: "not_a_worker_task", payload: null });
    expect(unknown.status).toBe(201);
    expect(unknown.body.warnings).toEqual([expect.objectContaining({ code: "NO_WORKER_FOR_TASK", queue: "default", task: "not_a_worker_task" })]);
  });

  it("takes the tasks a worker over HTTP registers, and shows them in the registry", async () => {
    server = await createTestServer();
    const description = { worker: "py-1", incarnation: "incarnation-1", queues: ["reports"], tasks: ["render_report"], concurrency: 1, host: "h", pid: 1 };
    expect((await server.app.inject({ method: "POST", url: "/worker/register", headers: WORKER, payload: description })).statusCode).toBe(200);
    const workers = (await server.app.inject({ url: "/monitoring/queue/workers", headers: READ })).json<{ workers: Array<{ name: string; tasks: string[] }> }>().workers;
    expect(workers).toEqual([expect.objectContaining({ name: "py-1", tasks: ["render_report"] })]);
    expect((await server.client.enqueueWarnings("render_report", { queue: "reports" }))).toEqual([]);
    expect((await server.client.enqueueWarnings("other", { queue: "reports" })).map((w) => w.code)).toEqual(["NO_WORKER_FOR_TASK"]);
    const badTasks = await server.app.inject({ method: "POST", url: "/worker/register", headers: WORKER, payload: { ...description, tasks: ["not a name"] } });
    expect(badTasks.statusCode).toBe(400);
  });
});
