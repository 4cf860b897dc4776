// Tracing without `@opentelemetry/api` (its import fails, as when the package is not installed):
// jobs enqueue and run as ever, and a trace context a caller gives is still recorded as given.
import { afterEach, describe, expect, it, vi } from "vitest";
import { FULL, createTestServer } from "../../test/support/server.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { defineTask } from "./task.js";
import { Worker } from "./worker.js";

const attempts = vi.hoisted(() => ({ count: 0 }));
vi.mock("@opentelemetry/api", () => {
  attempts.count += 1;
  throw new Error("Cannot find package '@opentelemetry/api'");
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const echo = defineTask("echo", (payload: unknown) => payload);
const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("tracing without OpenTelemetry", () => {
  it("enqueues and runs jobs, adds nothing to their meta, and tries the import once", async () => {
    const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
    const client = new Client({ store });
    const worker = new Worker({ store, tasks: [echo], idleWaitMs: 20, maintenance: false, gracePeriodMs: 0 });
    await worker.start();
    cleanup.push(() => store.close(), () => worker.stop({ gracePeriodMs: 0 }));
    const one = await client.enqueue(echo, 1, { meta: { projectId: "p" } });
    const many = await client.enqueueMany([{ task: echo, payload: 2 }, { task: echo, payload: 3 }]);
    for (const job of [one, ...many]) expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "COMPLETED" });
    expect(one.meta).toEqual({ projectId: "p" });
    expect(many.map((j) => j.meta)).toEqual([{}, {}]);
    expect(attempts.count).toBe(1);
  });

  it("records a trace context given in meta, or a POST /jobs traceparent header, as it is", async () => {
    const server = await createTestServer();
    cleanup.push(() => server.close());
    const given = await server.client.enqueue("echo", null, { meta: { traceparent: CALLER } });
    expect(given.meta).toEqual({ traceparent: CALLER });
    const res = await server.app.inject({ method: "POST", url: "/jobs", headers: { ...FULL, traceparent: CALLER, tracestate: "rojo=1" }, payload: { task: "echo", payload: null, meta: { project_id: "p" } } });
    expect(res.statusCode).toBe(201);
    const job = await server.client.requireJob(res.json<{ job_id: string }>().job_id);
    expect(job.meta).toEqual({ projectId: "p", traceparent: CALLER, tracestate: "rojo=1" });
  });

  it("answers 400 INVALID_OPTIONS for a malformed meta.traceparent in POST /jobs and stores nothing", async () => {
    const server = await createTestServer();
    cleanup.push(() => server.close());
    const res = await server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task: "echo", payload: null, meta: { traceparent: "nope" } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: "INVALID_OPTIONS", message: expect.stringContaining("meta.traceparent must be a W3C traceparent") as string } });
    expect((await server.client.listJobs()).jobs).toHaveLength(0);
  });
});
