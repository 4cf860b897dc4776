// The original quick-reference commands, sent with fetch to the real app on a real port, with
// the token header added: health, stats, workers, one job, failed jobs, retry by rq_job_id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL_TOKEN, createTestServer, type TestServer } from "../../test/support/server.js";
import { waitFor } from "../../test/support/wait-for.js";

describe("the original quick reference against a listening server", () => {
  let server: TestServer;
  let base: string;
  let failedId: string;
  const auth = { Authorization: `Bearer ${FULL_TOKEN}` };

  beforeAll(async () => {
    server = await createTestServer();
    base = await server.app.listen({ port: 0, host: "127.0.0.1" });
    await server.startWorker({ name: "worker-1", queues: ["high", "default"] });
    const res = await fetch(`${base}/jobs`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ task: "fail", payload: {}, max_attempts: 1 }),
    });
    failedId = ((await res.json()) as { job_id: string }).job_id;
    await waitFor(async () => (await server.client.requireJob(failedId)).status === "FAILED", { what: "the job to fail" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("curl /monitoring/health", async () => {
    const res = await fetch(`${base}/monitoring/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("curl -H 'Authorization: Bearer …' /monitoring/queue/stats", async () => {
    const res = await fetch(`${base}/monitoring/queue/stats`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ queues: [{ queue: "default", counts: { FAILED: 1 } }] });
  });

  it("curl -H 'Authorization: Bearer …' /monitoring/queue/workers", async () => {
    const res = await fetch(`${base}/monitoring/queue/workers`, { headers: auth });
    expect(await res.json()).toMatchObject({ workers: [{ name: "worker-1", queues: ["high", "default"] }] });
  });

  it("curl -H 'Authorization: Bearer …' /jobs/<id>", async () => {
    const res = await fetch(`${base}/jobs/${failedId}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ job_id: failedId, status: "FAILED", error: { code: "TASK_ERROR", message: "boom" } });
  });

  it("curl -H 'Authorization: Bearer …' /monitoring/queue/failed", async () => {
    const res = await fetch(`${base}/monitoring/queue/failed`, { headers: auth });
    const body = (await res.json()) as { jobs: Array<{ job_id: string }> };
    expect(body.jobs.map((j) => j.job_id)).toEqual([failedId]);
  });

  it("curl -X POST /monitoring/queue/failed -d '{\"rq_job_id\": \"<id>\"}'", async () => {
    const res = await fetch(`${base}/monitoring/queue/failed`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ rq_job_id: failedId }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ job_id: failedId, status: "QUEUED", retried: 1 });
  });

  it("refuses the same commands without the token", async () => {
    for (const path of ["/monitoring/queue/stats", "/monitoring/queue/workers", `/jobs/${failedId}`, "/monitoring/queue/failed"]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    }
  });
});
