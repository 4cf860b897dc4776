// GET /events on a real port: an SSE stream is endless, so it is read with fetch, not inject().
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../core/store.js";
import { FULL, READ, createTestServer, wrapStore, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response into messages as they arrive. */
class SseReader {
  readonly messages: SseMessage[] = [];
  private buffer = "";
  readonly done: Promise<void>;

  constructor(private readonly response: Response, private readonly controller: AbortController) {
    this.done = this.pump().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    const reader = (this.response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      this.buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = this.buffer.indexOf("\n\n")) >= 0) {
        this.messages.push(parse(this.buffer.slice(0, end)));
        this.buffer = this.buffer.slice(end + 2);
      }
    }
  }

  events(): Array<{ id?: string; event?: string; data: { job_id: string; type: string } }> {
    return this.messages.filter((m) => m.data !== undefined).map((m) => ({ ...m, data: JSON.parse(m.data as string) as { job_id: string; type: string } }));
  }

  close(): void {
    this.controller.abort();
  }
}

function parse(block: string): SseMessage {
  const message: SseMessage = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) message.comment = line.slice(1).trim();
    else if (line.startsWith("id: ")) message.id = line.slice(4);
    else if (line.startsWith("event: ")) message.event = line.slice(7);
    else if (line.startsWith("data: ")) message.data = line.slice(6);
  }
  return message;
}

describe("GET /events", () => {
  let server: TestServer;
  let base: string;
  let watchers = 0;
  const readers: SseReader[] = [];

  beforeEach(async () => {
    watchers = 0;
    const counting = (store: Store): Store =>
      wrapStore(store, {
        watch: async (listener, options) => {
          watchers += 1;
          const stop = await store.watch(listener, options);
          return async () => {
            watchers -= 1;
            await stop();
          };
        },
      });
    server = await createTestServer({ wrapStore: counting, deps: { sseKeepAliveMs: 50, maxEventStreams: 3, maxEventStreamsPerCaller: 3 } });
    base = await server.app.listen({ port: 0, host: "127.0.0.1" });
    // The metrics route watches the store too; count only the streams' watchers.
    watchers = 0;
  });
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await server.close();
  });

  const open = async (query = "", headers: Record<string, string> = {}): Promise<SseReader> => {
    const controller = new AbortController();
    const response = await fetch(`${base}/events${query}`, { headers: { ...FULL, ...headers }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = new SseReader(response, controller);
    readers.push(reader);
    return reader;
  };
  const enqueue = async (queue = "default") =>
    (await server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task: "echo", payload: 1, queue } })).json<{ job_id: string }>().job_id;

  it("streams job lifecycle events with the store's seq as the event id", async () => {
    const reader = await open();
    await waitFor(() => watchers === 1 || undefined, { what: "the stream to subscribe" });
    await server.startWorker();
    const id = await enqueue();
    await waitFor(() => reader.events().some((e) => e.event === "job:completed"), { what: "job:completed" });
    const events = reader.events().filter((e) => e.data.job_id === id);
    expect(events.map((e) => e.event)).toEqual(["job:enqueued", "job:started", "job:completed"]);
    for (const event of events) expect(event.id).toMatch(/^\d+$/);
  });

  it("filters by job id and by queue", async () => {
    const byQueue = await open("?queue=high");
    const first = await enqueue("default");
    const byJob = await open(`?job_id=${first}`);
    await waitFor(() => watchers === 2 || undefined);
    const second = await enqueue("high");
    await server.client.cancel(first);
    await waitFor(() => byJob.events().length === 1 && byQueue.events().length === 1, { what: "both filtered events" });
    expect(byJob.events()[0]?.data).toMatchObject({ job_id: first, type: "job:canceled" });
    expect(byQueue.events()[0]?.data).toMatchObject({ job_id: second, type: "job:enqueued" });
  });

  it("sends keep-alive comments", async () => {
    const reader = await open();
    await waitFor(() => reader.messages.filter((m) => m.comment === "keep-alive").length >= 2, { what: "keep-alive comments" });
  });

  it("resumes after Last-Event-ID", async () => {
    const ids = [await enqueue(), await enqueue(), await enqueue()];
    const events = await server.client.jobEvents(ids[0] as string);
    const reader = await open("", { "last-event-id": events[0]?.seq as string });
    await waitFor(() => reader.events().length === 2, { what: "the two later events" });
    expect(reader.events().map((e) => e.data.job_id)).toEqual([ids[1], ids[2]]);
  });

  it("stops watching the store when the client disconnects", async () => {
    const reader = await open();
    await waitFor(() => watchers === 1 || undefined, { what: "the stream to subscribe" });
    reader.close();
    await waitFor(() => watchers === 0 || undefined, { what: "the watcher to be removed", timeoutMs: 2000 });
  });

  it("refuses streams past the cap with 429 and accepts one again once a stream closes", async () => {
    const streams = [await open(), await open(), await open()];
    const refused = await fetch(`${base}/events`, { headers: FULL });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    streams[0]?.close();
    await waitFor(async () => {
      const controller = new AbortController();
      const response = await fetch(`${base}/events`, { headers: FULL, signal: controller.signal });
      controller.abort();
      return response.status === 200;
    }, { what: "a stream to be accepted again" });
  });

  it("refuses a caller past its share of the streams while other callers still get one", async () => {
    const shared = await createTestServer({ deps: { sseKeepAliveMs: 50, maxEventStreams: 8, maxEventStreamsPerCaller: 2 } });
    const sharedBase = await shared.app.listen({ port: 0, host: "127.0.0.1" });
    const controllers: AbortController[] = [];
    const request = async (headers: Record<string, string>): Promise<Response> => {
      const controller = new AbortController();
      controllers.push(controller);
      return fetch(`${sharedBase}/events`, { headers, signal: controller.signal });
    };
    try {
      expect((await request(READ)).status).toBe(200);
      expect((await request(READ)).status).toBe(200);
      const refused = await request(READ);
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("RATE_LIMITED");
      expect(body.error.message).toContain("already holds 2 of the event streams");
      expect((await request(FULL)).status).toBe(200);
      controllers[0]?.abort();
      await waitFor(async () => {
        const response = await request(READ);
        return response.status === 200 || undefined;
      }, { what: "the read-only token to get a stream again" });
    } finally {
      for (const controller of controllers) controller.abort();
      await shared.close();
    }
  });

  it("rejects unknown query fields and missing tokens", async () => {
    expect((await fetch(`${base}/events?jobid=1`, { headers: FULL })).status).toBe(400);
    expect((await fetch(`${base}/events`)).status).toBe(401);
  });
});
