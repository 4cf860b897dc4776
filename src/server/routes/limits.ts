// Limit routes (decision 0023): how each (name, key) stands (GET), an operator's setting of a
// name's default or one key's override (PUT), and clearing it (DELETE). Reads need the read-only
// token, writes the full one (auth.ts, by method). The client checks every setting before the
// store sees it, so a refused PUT stores nothing.
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { JOB_BOUNDS } from "../../core/job-rules.js";
import { limitBody, limitKeyParams, limitListQuery, limitNameParams, limitPage, limitSettingSchema, limitUsageSchema } from "../limit-schemas.js";
import { limitChangeFromBody, limitPageView, limitSettingView, limitUsageView, type LimitBody } from "../limit-views.js";
import { errorRef } from "../schemas.js";
import { pageOf } from "./jobs.js";

interface NameParams {
  name: string;
}

interface KeyParams extends NameParams {
  key: string;
}

const tags = ["limits"];
const cleared = { 204: { type: "null", description: "Cleared (also when there was no such setting)" }, "4xx": errorRef };

/** Registers the limit routes. */
export function registerLimitRoutes(app: FastifyInstance, client: Client): void {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    "/limits",
    {
      schema: {
        tags,
        summary: "List every (limit, key) with a running or waiting job or an override, in (name, key) order",
        querystring: limitListQuery,
        response: { 200: limitPage, "4xx": errorRef },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      // Capped, as job listings are: a large page size is not an error.
      const limit = Math.max(1, Math.min(JOB_BOUNDS.maxListLimit, page.limit ?? 100));
      return limitPageView(await client.limits.list({ limit, cursor: page.cursor }));
    },
  );

  app.get<{ Params: KeyParams }>(
    "/limits/:name/:key",
    { schema: { tags, summary: "How one (limit, key) stands: its settings, running and waiting jobs, rate tokens", params: limitKeyParams, response: { 200: limitUsageSchema, "4xx": errorRef } } },
    async (request) => limitUsageView(await client.limits.get(request.params.name, request.params.key)),
  );

  app.put<{ Params: KeyParams; Body: LimitBody }>(
    "/limits/:name/:key",
    {
      schema: {
        tags,
        summary: "Set one key's override (it replaces the name's default for this key, and wins over what workers declare until cleared)",
        params: limitKeyParams,
        body: limitBody,
        response: { 200: limitSettingSchema, "4xx": errorRef },
      },
    },
    async (request) => limitSettingView(await client.limits.set(request.params.name, request.params.key, limitChangeFromBody(request.body))),
  );

  app.put<{ Params: NameParams; Body: LimitBody }>(
    "/limits/:name",
    {
      schema: {
        tags,
        summary: "Set a limit's default for every key without an override (wins over what workers declare until cleared)",
        params: limitNameParams,
        body: limitBody,
        response: { 200: limitSettingSchema, "4xx": errorRef },
      },
    },
    async (request) => limitSettingView(await client.limits.set(request.params.name, null, limitChangeFromBody(request.body))),
  );

  app.delete<{ Params: KeyParams }>(
    "/limits/:name/:key",
    { schema: { tags, summary: "Clear one key's override: the key falls back to the name's default", params: limitKeyParams, response: cleared } },
    async (request, reply) => {
      await client.limits.clear(request.params.name, request.params.key);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: NameParams }>(
    "/limits/:name",
    { schema: { tags, summary: "Clear a limit's default: keys without an override are not held by it until a worker declares it again (at the worker's start)", params: limitNameParams, response: cleared } },
    async (request, reply) => {
      await client.limits.clear(request.params.name, null);
      return reply.code(204).send();
    },
  );
}
