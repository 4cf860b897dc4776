// Job routes: enqueue, read, list, timeline, retry, cancel and delete. Each handler validates
// input through its schema, makes one client call, and shapes the answer; errors go to the
// error handler.
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import type { JobFilter } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import {
  enqueueBody,
  enqueueCreated,
  errorRef,
  jobEventsAnswer,
  jobIdParams,
  jobPage,
  jobRef,
  listQuery,
} from "../schemas.js";
import { enqueueOptions, type EnqueueBody } from "../enqueue-body.js";
import { withTraceHeaders } from "../../core/tracing.js";
import { eventView, jobDetailView, jobPageView, jobView } from "../views.js";
import { reasonView } from "../explain-views.js";

/** What the job routes need. */
export interface JobRoutesDeps {
  client: Client;
}

interface IdParams {
  id: string;
}

/** Query of a job listing after validation. */
export interface ListQuery {
  status?: JobStatus;
  queue?: string;
  task?: string;
  project_id?: string;
  user_id?: string;
  schedule_id?: string;
  limit?: string;
  cursor?: string;
}

/** Page size and cursor of a listing query. */
export function pageOf(query: { limit?: string; cursor?: string }): { limit?: number; cursor: string | null } {
  return {
    ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
    cursor: query.cursor ?? null,
  };
}

function filterOf(query: ListQuery): JobFilter {
  const filter: JobFilter = {};
  if (query.status !== undefined) filter.status = query.status;
  if (query.queue !== undefined) filter.queue = query.queue;
  if (query.task !== undefined) filter.task = query.task;
  if (query.project_id !== undefined) filter.projectId = query.project_id;
  if (query.user_id !== undefined) filter.userId = query.user_id;
  if (query.schedule_id !== undefined) filter.scheduleId = query.schedule_id;
  return filter;
}

const tags = ["jobs"];

/** Registers the job routes. */
export function registerJobRoutes(app: FastifyInstance, deps: JobRoutesDeps): void {
  registerEnqueueRoute(app, deps);
  registerReadRoutes(app, deps.client);
  registerActionRoutes(app, deps.client);
}

function registerEnqueueRoute(app: FastifyInstance, { client }: JobRoutesDeps): void {
  app.post<{ Body: EnqueueBody }>(
    "/jobs",
    {
      schema: {
        tags,
        summary: "Enqueue a job: 201 and the job when stored, 200 and the earlier job when its idempotency key was seen (Location: the job's URL either way)",
        body: enqueueBody,
        response: { 201: enqueueCreated, 200: enqueueCreated, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // The client checks the task and payload (when it knows the tasks) before anything is stored.
      // A W3C `traceparent` (and `tracestate`) header is recorded in the job's meta (docs/observability.md).
      const { job, created } = await client.enqueueWithResult(body.task, body.payload, withTraceHeaders(enqueueOptions(body), request.headers));
      // One shape either way: the job, and whether this call stored it.
      // Stored all the same; the warnings say when no live worker would run it (docs/explain.md).
      // The job is stored by now: a failed registry read must not turn its answer into an error.
      const warnings = (await client.enqueueWarnings(job.task, { queue: job.queue }).catch(() => [])).map(reasonView);
      return reply.code(created ? 201 : 200).header("location", `/jobs/${encodeURIComponent(job.id)}`).send({ ...jobView(job), created, warnings });
    },
  );
}

function registerReadRoutes(app: FastifyInstance, client: Client): void {
  app.get<{ Querystring: ListQuery }>(
    "/jobs",
    {
      schema: {
        tags,
        summary: "List jobs, newest first",
        querystring: listQuery,
        response: { 200: jobPage, "4xx": errorRef },
      },
    },
    async (request) => {
      const page = await client.listJobs(filterOf(request.query), pageOf(request.query));
      return jobPageView(page);
    },
  );

  app.get<{ Params: IdParams }>(
    "/jobs/:id",
    { schema: { tags, summary: "Get a job (with held_by: why a QUEUED job under limits is not running)", params: jobIdParams, response: { 200: jobRef, "4xx": errorRef } } },
    async (request) => {
      const job = await client.requireJob(request.params.id);
      // One read per limit of a QUEUED job under limits, so only here and not in listings.
      return jobDetailView(job, await client.limits.holdOf(job));
    },
  );

  app.get<{ Params: IdParams }>(
    "/jobs/:id/events",
    {
      schema: {
        tags,
        summary: "A job's timeline of events, oldest first",
        params: jobIdParams,
        response: { 200: jobEventsAnswer, "4xx": errorRef },
      },
    },
    async (request) => {
      await client.requireJob(request.params.id);
      return { events: (await client.jobEvents(request.params.id)).map(eventView) };
    },
  );
}

function registerActionRoutes(app: FastifyInstance, client: Client): void {
  const action = (verb: "retry" | "cancel", summary: string): void => {
    app.post<{ Params: IdParams }>(
      `/jobs/:id/${verb}`,
      { schema: { tags, summary, params: jobIdParams, response: { 200: jobRef, "4xx": errorRef } } },
      async (request) => jobView(verb === "retry" ? await client.retry(request.params.id) : await client.cancel(request.params.id)),
    );
  };
  action("retry", "Retry a FAILED or CANCELED job (409 otherwise)");
  action("cancel", "Cancel a job that has not finished (409 otherwise)");

  app.delete<{ Params: IdParams }>(
    "/jobs/:id",
    {
      schema: {
        tags,
        summary: "Delete a job that is not running (409 while it runs)",
        params: jobIdParams,
        response: { 204: { type: "null", description: "Deleted" }, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      await client.remove(request.params.id);
      return reply.code(204).send();
    },
  );
}
