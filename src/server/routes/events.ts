// Server-Sent Events of job lifecycle events, filtered by job id or queue. Event ids are the
// store's `seq`, so a reconnecting client resumes after `Last-Event-ID` where the store keeps
// a log. A slow reader is cut off rather than buffered without bound; it can resume.
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Client } from "../../core/client.js";
import type { JobEvent } from "../../core/events.js";
import { grantOf } from "../auth.js";
import { sendError } from "../error-handler.js";
import { errorRef, eventsQuery } from "../schemas.js";
import { eventView } from "../views.js";

/** What the events route needs. */
export interface EventRoutesDeps {
  client: Client;
  keepAliveMs: number;
  /** Most streams open at once; more are refused with 429. */
  maxStreams: number;
  /** Most streams one caller (credential and address) holds at once; more are refused with 429. */
  maxStreamsPerCaller: number;
}

interface EventsQuery {
  job_id?: string;
  queue?: string;
}

// A reader this far behind is disconnected; it reconnects with Last-Event-ID and catches up.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const RETRY_MS = 3000;

function matches(event: JobEvent, query: EventsQuery): boolean {
  if (query.job_id !== undefined && event.jobId !== query.job_id) return false;
  if (query.queue !== undefined && event.queue !== query.queue) return false;
  return true;
}

/** Formats one event as an SSE message. */
export function sseMessage(event: JobEvent): string {
  const id = event.seq === undefined ? "" : `id: ${event.seq}\n`;
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`;
}

function lastEventId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^[A-Za-z0-9:._-]{1,64}$/.test(value) ? value : undefined;
}

// One caller is one access level from one address, so a token holder cannot take every stream
// and stop the dashboard's live feed. Sessions count with the token they were signed in with:
// signing in again and again gives no more streams.
function callerKey(request: FastifyRequest): string {
  return `${grantOf(request)?.access ?? "none"}:${request.ip}`;
}

/** One open stream: headers, keep-alive comments, and cleanup when either side ends it. */
class SseStream {
  private unsubscribe: (() => Promise<void>) | null = null;
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(readonly res: ServerResponse, keepAliveMs: number, private readonly onEnd: () => void) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
    this.keepAlive = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
    res.on("close", () => this.cleanup());
    res.on("error", () => this.cleanup());
  }

  send(event: JobEvent): void {
    if (this.closed) return;
    this.res.write(sseMessage(event));
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.res.destroy();
  }

  /** Keeps the store subscription until the stream ends (at once if it ended meanwhile). */
  async hold(unsubscribe: () => Promise<void>): Promise<void> {
    if (this.closed) await unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  /** Headers are sent already, so a failure is told in the stream; the client retries. */
  fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.res.end(`event: error\ndata: ${JSON.stringify({ error: { code: "STORE_UNAVAILABLE", message } })}\n\n`);
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.onEnd();
    if (this.unsubscribe !== null) void this.unsubscribe();
  }
}

/** Registers GET /events; open streams end when the app closes. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): void {
  const open = new Set<ServerResponse>();
  const openByCaller = new Map<string, number>();
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: EventsQuery }>(
    "/events",
    {
      schema: {
        tags: ["events"],
        summary: "Job lifecycle events as Server-Sent Events (resumable with Last-Event-ID)",
        querystring: eventsQuery,
        produces: ["text/event-stream"],
        response: { 200: { description: "An endless text/event-stream", type: "string" }, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const afterSeq = lastEventId(request.headers["last-event-id"]);
      if (open.size >= deps.maxStreams) {
        return sendError(reply, "RATE_LIMITED", `Too many open event streams (${deps.maxStreams}); close one or retry later`);
      }
      const caller = callerKey(request);
      const held = openByCaller.get(caller) ?? 0;
      if (held >= deps.maxStreamsPerCaller) {
        return sendError(
          reply,
          "RATE_LIMITED",
          `This token already holds ${held} of the event streams (at most ${deps.maxStreamsPerCaller} per caller); close one or retry later`,
        );
      }
      reply.hijack();
      const res = reply.raw;
      open.add(res);
      openByCaller.set(caller, held + 1);
      const stream = new SseStream(res, deps.keepAliveMs, () => {
        open.delete(res);
        const left = (openByCaller.get(caller) ?? 1) - 1;
        if (left > 0) openByCaller.set(caller, left);
        else openByCaller.delete(caller);
      });
      try {
        const unsubscribe = await deps.client.watch(
          (event) => {
            if (matches(event, query)) stream.send(event);
          },
          afterSeq === undefined ? {} : { afterSeq },
        );
        await stream.hold(unsubscribe);
      } catch (error) {
        stream.fail(error);
      }
    },
  );
}
