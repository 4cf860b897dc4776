// Tracing with the OpenTelemetry SDK present: producer and consumer spans, their attributes and
// links, the context in the job's meta, the task's spans as children, HTTP headers, isolation.
import { join } from "node:path";
import { context, trace, SpanKind, SpanStatusCode, type SpanContext } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FULL, createTestServer } from "../../test/support/server.js";
import { waitFor } from "../../test/support/wait-for.js";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { hasCode } from "./errors.js";
import { defineTask, isTaskDefinition, type TaskDefinition } from "./task.js";
import { withTraceHeaders } from "./tracing.js";
import { Worker } from "./worker.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = trace.getTracer("test");
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  trace.disable();
  context.disable();
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  exporter.reset();
});

const echo = defineTask("echo", async (payload: { child?: boolean } | null) => {
  // The task's own span: a child of the attempt's span, which is active while the task runs.
  if (payload?.child === true) tracer.startActiveSpan("task-work", (span) => span.end());
  await new Promise((resolve) => setImmediate(resolve));
  return null;
});
const flaky = defineTask("flaky", () => {
  throw new Error("boom");
}, { maxAttempts: 2, backoff: { baseMs: 1, jitter: 0 } });
const slow = defineTask("slow", (_payload: null, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true })));

async function setup(options: { isolation?: string } = {}) {
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store });
  let tasks: TaskDefinition<never, unknown>[] = [echo, flaky, slow];
  if (options.isolation !== undefined) tasks = Object.values((await import(options.isolation)) as Record<string, unknown>).filter(isTaskDefinition);
  const isolation = options.isolation === undefined ? {} : { isolation: { tasksModule: options.isolation } };
  const worker = new Worker({ store, tasks, name: "w1", queues: ["high", "default"], concurrency: 2, idleWaitMs: 20, leaseMs: 600, maintenance: false, gracePeriodMs: 0, ...isolation });
  await worker.start();
  cleanup.push(() => store.close(), () => worker.stop({ gracePeriodMs: 0 }));
  return { client };
}

const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const ids = (c: SpanContext): string => `${c.traceId}-${c.spanId}`;
const traceparentOf = (c: SpanContext): string => `00-${c.traceId}-${c.spanId}-01`;

describe("tracing with OpenTelemetry", () => {
  it("records the enqueue span's context in the job and links each attempt's consumer span to it", async () => {
    const { client } = await setup();
    const job = await tracer.startActiveSpan("request", async (request) => {
      try {
        return await client.enqueue(echo, { child: true }, { queue: "high" });
      } finally {
        request.end();
      }
    });
    await client.wait(job.id, { timeoutMs: 10_000 });
    const [send] = spans("send high");
    const [attempt] = await waitFor(() => (spans("process high").length === 1 ? spans("process high") : null));
    const [request] = spans("request");
    if (send === undefined || attempt === undefined || request === undefined) throw new Error("missing spans");
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send.attributes).toEqual({
      "messaging.system": "caudex",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": "high",
      "messaging.message.id": job.id,
      "caudex.task": "echo",
    });
    expect(job.meta.traceparent).toBe(traceparentOf(send.spanContext()));
    expect(attempt.kind).toBe(SpanKind.CONSUMER);
    expect(attempt.parentSpanContext).toBeUndefined();
    expect(attempt.links.map((l) => ids(l.context))).toEqual([ids(send.spanContext())]);
    expect(attempt.attributes).toMatchObject({
      "messaging.system": "caudex",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": "high",
      "messaging.message.id": job.id,
      "messaging.client.id": "w1",
      "caudex.task": "echo",
      "caudex.attempt": 1,
    });
    expect(attempt.status.code).toBe(SpanStatusCode.UNSET);
    const [work] = spans("task-work");
    expect(work?.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
    expect(work?.spanContext().traceId).toBe(attempt.spanContext().traceId);
  });

  it("ends each failed attempt's span with status ERROR and the error code, every attempt linked to the one enqueue", async () => {
    const { client } = await setup();
    const job = await client.enqueue(flaky, null);
    expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "FAILED", attempt: 2 });
    const attempts = await waitFor(() => (spans("process default").length === 2 ? spans("process default") : null));
    const [send] = spans("send default");
    expect(attempts.map((s) => s.attributes["caudex.attempt"]).sort()).toEqual([1, 2]);
    for (const span of attempts) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "TASK_ERROR" });
      expect(span.attributes["error.type"]).toBe("TASK_ERROR");
      expect(span.events[0]).toMatchObject({ name: "exception", attributes: { "exception.type": "TASK_ERROR", "exception.message": "boom" } });
      expect(span.links.map((l) => ids(l.context))).toEqual([ids(send?.spanContext() as SpanContext)]);
    }
    expect(attempts.map((s) => s.attributes["caudex.will_retry"]).sort()).toEqual([false, true]);
  });

  it("ends a timed-out attempt's span with TIMEOUT", async () => {
    const { client } = await setup();
    const job = await client.enqueue(slow, null, { timeoutMs: 100, maxAttempts: 1 });
    expect(await client.wait(job.id, { timeoutMs: 10_000 })).toMatchObject({ status: "FAILED", error: { code: "TIMEOUT" } });
    const [attempt] = await waitFor(() => (spans("process default").length === 1 ? spans("process default") : null));
    expect(attempt?.status).toEqual({ code: SpanStatusCode.ERROR, message: "TIMEOUT" });
  });

  it("ends the span of an attempt whose lease is lost (the job was canceled) with LEASE_LOST", async () => {
    const { client } = await setup();
    const job = await client.enqueue(slow, null);
    await waitFor(async () => (await client.requireJob(job.id)).status === "PROCESSING");
    await client.cancel(job.id);
    const [attempt] = await waitFor(() => (spans("process default").length === 1 ? spans("process default") : null));
    expect(attempt?.status).toEqual({ code: SpanStatusCode.ERROR, message: "LEASE_LOST" });
  });

  it("records one send span for enqueueMany and a flow, its context in every job", async () => {
    const { client } = await setup();
    const jobs = await client.enqueueMany([{ task: echo, payload: null }, { task: echo, payload: null, options: { queue: "high" } }]);
    const flow = await client.enqueueFlow({ task: "echo", payload: null, children: [{ task: "echo", payload: null }] });
    const batches = spans("send");
    expect(batches).toHaveLength(2);
    expect(batches[0]?.attributes).toEqual({ "messaging.system": "caudex", "messaging.operation.type": "send", "messaging.operation.name": "send", "messaging.batch.message_count": 2 });
    expect(batches[1]?.attributes).toMatchObject({ "messaging.batch.message_count": 2, "messaging.destination.name": "default" });
    expect(jobs.map((j) => j.meta.traceparent)).toEqual(jobs.map(() => traceparentOf(batches[0]?.spanContext() as SpanContext)));
    expect(flow.jobs.map((j) => j.meta.traceparent)).toEqual(flow.jobs.map(() => traceparentOf(batches[1]?.spanContext() as SpanContext)));
  });

  it("keeps a trace context of another trace given in meta, and links the send span to it", async () => {
    const { client } = await setup();
    const given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const job = await tracer.startActiveSpan("request", async (request) => {
      try {
        return await client.enqueue(echo, null, { meta: { traceparent: given, tracestate: "congo=t61rcWkgMzE" } });
      } finally {
        request.end();
      }
    });
    expect(job.meta).toMatchObject({ traceparent: given, tracestate: "congo=t61rcWkgMzE" });
    const [send] = spans("send default");
    expect(send?.links.map((l) => [ids(l.context), l.context.traceState?.get("congo")])).toEqual([["0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "t61rcWkgMzE"]]);
  });

  it("refuses a malformed traceparent or tracestate in meta with INVALID_OPTIONS and stores nothing", async () => {
    const { client } = await setup();
    for (const meta of [{ traceparent: "not-a-traceparent" }, { traceparent: 42 }, { tracestate: "a=b" }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "x".repeat(513) }]) {
      const error = await client.enqueue(echo, null, { meta }).catch((e: unknown) => e);
      expect(hasCode(error, "INVALID_OPTIONS")).toBe(true);
    }
    expect((await client.listJobs()).jobs).toHaveLength(0);
  });

  it("makes a POST /jobs traceparent header the parent of the send span", async () => {
    const server = await createTestServer();
    cleanup.push(() => server.close());
    const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await server.app.inject({ method: "POST", url: "/jobs", headers: { ...FULL, traceparent: caller, tracestate: "rojo=00f067aa0ba902b7" }, payload: { task: "echo", payload: null } });
    expect(res.statusCode).toBe(201);
    const job = await server.client.requireJob(res.json<{ job_id: string }>().job_id);
    const [send] = spans("send default");
    expect(send?.parentSpanContext).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
    expect(job.meta.traceparent).toBe(traceparentOf(send?.spanContext() as SpanContext));
    expect(job.meta.tracestate).toBe("rojo=00f067aa0ba902b7");
    expect(job.meta.traceparent).toMatch(TRACEPARENT);
  });

  it("ignores a malformed traceparent header and drops an oversized tracestate", () => {
    expect(withTraceHeaders({ queue: "q" }, { traceparent: "00-zz" })).toEqual({ queue: "q" });
    const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    expect(withTraceHeaders({ meta: { a: 1 } }, { traceparent: valid, tracestate: "x".repeat(600) })).toEqual({ meta: { a: 1, traceparent: valid } });
    expect(withTraceHeaders({}, { traceparent: ["a", "b"] })).toEqual({});
  });

  it("hands the attempt's context to a task under process isolation", async () => {
    const { client } = await setup({ isolation: join(import.meta.dirname, "../../test/fixtures/traced-tasks.mjs") });
    const job = await client.enqueue("active_trace", null);
    const done = await client.wait(job.id, { timeoutMs: 15_000 });
    const [attempt] = await waitFor(() => (spans("process default").length === 1 ? spans("process default") : null));
    expect(done.result).toEqual({ traceId: attempt?.spanContext().traceId, spanId: attempt?.spanContext().spanId });
  }, 30_000);
});
