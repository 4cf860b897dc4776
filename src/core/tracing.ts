// OpenTelemetry tracing of jobs, when the application has `@opentelemetry/api`: a producer span
// around each enqueue, whose context is recorded in the jobs' meta (`traceparent`, `tracestate`),
// and a consumer span per attempt, linked to it and active while the task runs. The package is
// imported once, lazily; without it every hook is one check of a module variable.
import type * as Otel from "@opentelemetry/api";
import type { EnqueueOptions } from "./enqueue-options.js";
import type { ClaimedJob, JobMeta, NewJob } from "./job.js";
import type { EnqueueResult, Store } from "./store.js";

/** Longest `tracestate` a job keeps (the W3C header's own bound); a longer one is dropped. */
export const MAX_TRACESTATE_LENGTH = 512;

/** A trace context as W3C Trace Context strings (the `traceparent` and `tracestate` headers). */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** Why an attempt did not succeed: the job's error, or the reason its run was aborted. */
export interface AttemptEnd {
  code: string;
  message: string;
  stack?: string;
}

type Api = typeof import("@opentelemetry/api");

interface Tracing {
  api: Api;
  tracer: Otel.Tracer;
}

const SYSTEM = "caudex";
// A batch links to the other traces its jobs came with; past this many the rest go unlinked.
const MAX_LINKS = 128;
// Version 00 layout: version, trace id, parent span id, flags (lower-case hex, W3C Trace Context).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
const PRINTABLE = /^[\x20-\x7e]*$/;

// undefined: not tried yet; null: the package is absent (or failed to load), so tracing is off.
let tracing: Tracing | null | undefined;
let loading: Promise<void> | null = null;
// The open span of each running attempt, by its claimed job (one object per attempt).
const attempts = new WeakMap<ClaimedJob, Otel.Span>();

/** Imports `@opentelemetry/api` once; resolves either way (tracing stays off when it is absent). */
export function loadTracing(): Promise<void> {
  loading ??= import("@opentelemetry/api").then(
    (api) => {
      // A proxy: spans go to whatever tracer provider the application registers, now or later.
      tracing = { api, tracer: api.trace.getTracer(SYSTEM) };
    },
    () => {
      tracing = null;
    },
  );
  return loading;
}

/** The trace context a `traceparent` (and `tracestate`) string holds, or null when it is not a valid one. */
export function parseTraceparent(traceparent: string): { traceId: string; spanId: string; traceFlags: number } | null {
  const match = typeof traceparent === "string" ? TRACEPARENT.exec(traceparent) : null;
  if (match === null) return null;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === "ff" || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

function isValidTracestate(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_TRACESTATE_LENGTH && PRINTABLE.test(value);
}

/** Why a job's reserved trace keys in `meta` are invalid, or null when they are fine (or absent). */
export function traceMetaProblem(meta: JobMeta): string | null {
  const { traceparent, tracestate } = meta;
  if (traceparent === undefined && tracestate === undefined) return null;
  if (traceparent === undefined) return "meta.tracestate needs a meta.traceparent";
  if (typeof traceparent !== "string" || parseTraceparent(traceparent) === null)
    return 'meta.traceparent must be a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>", lower case); the key is reserved for trace context';
  if (tracestate !== undefined && !isValidTracestate(tracestate))
    return `meta.tracestate must be a string of at most ${MAX_TRACESTATE_LENGTH} printable ASCII characters; the key is reserved for trace context`;
  return null;
}

/**
 * The enqueue options with an incoming request's `traceparent` (and `tracestate`) header in their
 * meta, so the job carries the caller's trace context (with or without OpenTelemetry here). A
 * missing or malformed `traceparent` changes nothing (W3C: a new trace starts); a malformed or
 * oversized `tracestate` is dropped.
 */
export function withTraceHeaders(options: EnqueueOptions, headers: Record<string, string | string[] | undefined>): EnqueueOptions {
  const traceparent = headers.traceparent;
  if (typeof traceparent !== "string" || parseTraceparent(traceparent) === null) return options;
  const meta: JobMeta = { ...options.meta, traceparent };
  delete meta.tracestate;
  const tracestate = headers.tracestate;
  if (isValidTracestate(tracestate) && tracestate.length > 0) meta.tracestate = tracestate;
  return { ...options, meta };
}

/** `store.enqueue(jobs)` under a producer span (see traceSend); without OpenTelemetry, exactly that call. */
export function enqueueTraced(store: Pick<Store, "enqueue">, jobs: NewJob[]): Promise<EnqueueResult[]> {
  return tracing === null ? store.enqueue(jobs) : traceSend(jobs, () => store.enqueue(jobs));
}

/**
 * Stores jobs through `send` under a producer span ("send <queue>"), recording its context in
 * each job's meta. A job that came with the context of another trace keeps it (the span links to
 * it); one from the same trace as the span's parent gets the span's. Without OpenTelemetry: `send()`.
 */
export function traceSend<R>(jobs: readonly NewJob[], send: () => Promise<R>): Promise<R> {
  const t = tracing;
  if (t === null) return send();
  if (t === undefined) return loadTracing().then(() => traceSend(jobs, send));
  const first = jobs[0];
  if (first === undefined) return send();
  const { api } = t;
  const active = api.context.active();
  const activeSpan = api.trace.getSpanContext(active);
  let parent = active;
  if (activeSpan === undefined || !api.isSpanContextValid(activeSpan)) {
    // No span here (an HTTP server without instrumentation): the caller's context, when given, is the parent.
    const given = spanContextOf(t, first.meta);
    if (given !== null) parent = api.trace.setSpanContext(active, given);
  }
  const parentTrace = api.trace.getSpanContext(parent)?.traceId;
  const links: Otel.Link[] = [];
  const foreign = jobs.map((job) => {
    const given = spanContextOf(t, job.meta);
    const other = given !== null && given.traceId !== parentTrace;
    if (other && links.length < MAX_LINKS) links.push({ context: given });
    return other;
  });
  const span = t.tracer.startSpan(jobs.length === 1 ? `send ${first.queue}` : "send", { kind: api.SpanKind.PRODUCER, attributes: sendAttributes(jobs), links }, parent);
  const carrier = carrierOf(t, span.spanContext());
  if (carrier !== null) for (const [i, job] of jobs.entries()) if (foreign[i] !== true) record(job, carrier);
  let sent: Promise<R>;
  try {
    sent = api.context.with(api.trace.setSpan(parent, span), send);
  } catch (thrown) {
    // A store that throws instead of rejecting: the span still ends, with the error.
    sent = Promise.reject(thrown);
  }
  return sent.then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      const code = codeOf(error);
      span.setAttribute("error.type", code);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
      span.end();
      throw error;
    },
  );
}

function sendAttributes(jobs: readonly NewJob[]): Otel.Attributes {
  const first = jobs[0] as NewJob;
  const attributes: Otel.Attributes = { "messaging.system": SYSTEM, "messaging.operation.type": "send", "messaging.operation.name": "send" };
  if (jobs.length === 1) {
    attributes["messaging.destination.name"] = first.queue;
    attributes["messaging.message.id"] = first.id;
    attributes["caudex.task"] = first.task;
  } else {
    attributes["messaging.batch.message_count"] = jobs.length;
    if (jobs.every((job) => job.queue === first.queue)) attributes["messaging.destination.name"] = first.queue;
  }
  return attributes;
}

/** Writes the trace context into a job's meta (and its encoded copy, which the stores write). */
function record(job: NewJob, carrier: TraceCarrier): void {
  const meta: JobMeta = { ...job.meta, traceparent: carrier.traceparent };
  if (carrier.tracestate === undefined) delete meta.tracestate;
  else meta.tracestate = carrier.tracestate;
  job.meta = meta;
  job.metaText = JSON.stringify(meta);
}

/**
 * Runs an attempt of `job` under a consumer span ("process <queue>") linked to the context its
 * enqueue recorded, and active while `run` (the task) runs; `endAttempt` ends it. Without
 * OpenTelemetry: `run()`.
 */
export function traceAttempt<T>(job: ClaimedJob, workerName: string, run: () => Promise<T>): Promise<T> {
  const t = tracing;
  if (t === null || t === undefined) return run();
  const { api } = t;
  const created = spanContextOf(t, job.meta);
  const attributes: Otel.Attributes = {
    "messaging.system": SYSTEM,
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    "messaging.destination.name": job.queue,
    "messaging.message.id": job.id,
    "messaging.client.id": workerName,
    "caudex.task": job.task,
    "caudex.attempt": job.attempt,
  };
  // A root of its own: the worker loop's context is no parent of the jobs it happens to run.
  const options: Otel.SpanOptions = { kind: api.SpanKind.CONSUMER, attributes, links: created === null ? [] : [{ context: created }] };
  const span = t.tracer.startSpan(`process ${job.queue}`, options, api.ROOT_CONTEXT);
  attempts.set(job, span);
  return api.context.with(api.trace.setSpan(api.ROOT_CONTEXT, span), run);
}

/** Ends the span of `job`'s attempt: OK, or ERROR with the error's code; the first call wins. */
export function endAttempt(job: ClaimedJob, error: AttemptEnd | null, willRetry?: boolean): void {
  const t = tracing;
  if (t === null || t === undefined) return;
  const span = attempts.get(job);
  if (span === undefined) return;
  attempts.delete(job);
  if (error !== null) {
    span.setAttribute("error.type", error.code);
    if (willRetry !== undefined) span.setAttribute("caudex.will_retry", willRetry);
    span.recordException({ name: error.code, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) });
    span.setStatus({ code: t.api.SpanStatusCode.ERROR, message: error.code });
  }
  span.end();
}

/** The context of `job`'s attempt span, to hand to a task run in another process; null without one. */
export function attemptCarrier(job: ClaimedJob): TraceCarrier | null {
  const t = tracing;
  if (t === null || t === undefined) return null;
  const span = attempts.get(job);
  return span === undefined ? null : carrierOf(t, span.spanContext());
}

/** Runs `run` with `carrier` (an attempt's context from the worker process) as the active context. */
export function runInTraceContext<T>(carrier: TraceCarrier | undefined, run: () => T): T {
  const t = tracing;
  if (t === null || t === undefined || carrier === undefined) return run();
  const context = spanContextFrom(t, carrier.traceparent, carrier.tracestate);
  if (context === null) return run();
  return t.api.context.with(t.api.trace.setSpanContext(t.api.ROOT_CONTEXT, context), run);
}

function spanContextOf(t: Tracing, meta: JobMeta): Otel.SpanContext | null {
  const { traceparent, tracestate } = meta;
  return typeof traceparent === "string" ? spanContextFrom(t, traceparent, typeof tracestate === "string" ? tracestate : undefined) : null;
}

function spanContextFrom(t: Tracing, traceparent: string, tracestate: string | undefined): Otel.SpanContext | null {
  const parsed = parseTraceparent(traceparent);
  if (parsed === null) return null;
  const context: Otel.SpanContext = { ...parsed, isRemote: true };
  if (isValidTracestate(tracestate) && tracestate.length > 0) context.traceState = t.api.createTraceState(tracestate);
  return context;
}

function carrierOf(t: Tracing, context: Otel.SpanContext): TraceCarrier | null {
  if (!t.api.isSpanContextValid(context)) return null;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, "0");
  const carrier: TraceCarrier = { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` };
  const tracestate = context.traceState?.serialize();
  if (tracestate !== undefined && tracestate.length > 0 && isValidTracestate(tracestate)) carrier.tracestate = tracestate;
  return carrier;
}

function codeOf(error: unknown): string {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") return error.code;
  return error instanceof Error ? error.name : "_OTHER";
}
