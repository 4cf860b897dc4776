// Queue routes: pause and resume a queue. A paused queue keeps its jobs; workers skip it.
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { errorRef, queueAnswer, queueParams } from "../schemas.js";

interface QueueParams {
  name: string;
}

/** Registers POST /queues/:name/pause and POST /queues/:name/resume. */
export function registerQueueRoutes(app: FastifyInstance, client: Client): void {
  const schema = (summary: string): Record<string, unknown> => ({
    tags: ["queues"],
    summary,
    params: queueParams,
    response: { 200: queueAnswer, "4xx": errorRef },
  });
  app.post<{ Params: QueueParams }>("/queues/:name/pause", { schema: schema("Pause a queue: workers stop claiming from it") }, async (request) => {
    await client.pauseQueue(request.params.name);
    return { queue: request.params.name, paused: true };
  });
  app.post<{ Params: QueueParams }>("/queues/:name/resume", { schema: schema("Resume a paused queue") }, async (request) => {
    await client.resumeQueue(request.params.name);
    return { queue: request.params.name, paused: false };
  });
}
