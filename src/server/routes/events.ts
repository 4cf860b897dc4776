// Server-Sent Events of job lifecycle events, filtered by job id or queue. Event ids are the
// store's `seq`, so a reconnecting client resumes after `Last-Event-ID` where the store keeps
// a log. A slow reader is cut off rather than buffered without bound; it can resume.
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import type { JobEvent } from "../../core/events.js";
import { errorRef, eventsQuery } from "../schemas.js";
import { eventView } from "../views.js";

/** What the events route needs. */
export interface EventRoutesDeps {
  client: Client;
  keepAliveMs: number;
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

/** Registers GET /events; open streams end when the app closes. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): void {
  const open = new Set<ServerResponse>();
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
      const res = reply.raw;
      const query = request.query;
      reply.hijack();
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
      open.add(res);
      let stop: (() => Promise<void>) | null = null;
      let closed = false;
      const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), deps.keepAliveMs);
      const cleanup = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        open.delete(res);
        if (stop !== null) void stop();
      };
      res.on("close", cleanup);
      res.on("error", cleanup);
      request.raw.socket.on("close", cleanup);
      const afterSeq = lastEventId(request.headers["last-event-id"]);
      const deliver = (event: JobEvent): void => {
        if (closed || !matches(event, query)) return;
        res.write(sseMessage(event));
        if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      };
      try {
        const unsubscribe = await deps.client.store.watch(deliver, afterSeq === undefined ? {} : { afterSeq });
        if (closed) await unsubscribe();
        else stop = unsubscribe;
      } catch (error) {
        // Headers are sent already: say why in the stream, then end it; the client retries.
        const message = error instanceof Error ? error.message : String(error);
        res.end(`event: error\ndata: ${JSON.stringify({ error: { code: "STORE_UNAVAILABLE", message } })}\n\n`);
      }
    },
  );
}
