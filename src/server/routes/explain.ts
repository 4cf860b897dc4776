// GET /jobs/{id}/explain: why a job is not running or not finished, as ordered reasons with
// stable codes (docs/explain.md). A read, so the read-only token may call it (auth.ts, by method).
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { explainAnswer } from "../explain-schemas.js";
import { explanationView } from "../explain-views.js";
import { errorRef, jobIdParams } from "../schemas.js";

/** Registers the explain route. */
export function registerExplainRoutes(app: FastifyInstance, client: Client): void {
  app.get<{ Params: { id: string } }>(
    "/jobs/:id/explain",
    {
      schema: {
        tags: ["jobs"],
        summary: "Why a job is not running or not finished: its reasons in order (scheduled, retry backoff, dependencies, limits, paused queue, no worker, busy workers, priority, place in its queue, a gone worker's lease)",
        params: jobIdParams,
        response: { 200: explainAnswer, "4xx": errorRef },
      },
    },
    async (request) => explanationView(await client.explain(request.params.id)),
  );
}
