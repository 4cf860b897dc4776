// Schedule routes: upsert (PUT), read, list, next fire times, pause, resume, trigger and remove.
// Each handler makes one client call (plus reading the last job for the view); the client
// checks a definition before any store sees it, so a rejected upsert stores nothing.
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { ScheduleNotFoundError } from "../../core/errors.js";
import { SCHEDULE_BOUNDS } from "../../core/job-rules.js";
import {
  nextFiresAnswer,
  nextFiresQuery,
  scheduleBody,
  scheduleIdParams,
  scheduleListQuery,
  schedulePage,
  scheduleRef,
  upsertAnswer,
} from "../schedule-schemas.js";
import { definitionFromBody, readScheduleView, schedulePageView, type ScheduleBody } from "../schedule-views.js";
import { errorRef, jobRef } from "../schemas.js";
import { iso, jobView } from "../views.js";
import { pageOf } from "./jobs.js";

interface IdParams {
  id: string;
}

const tags = ["schedules"];
const SCHEDULE_ID = new RegExp(SCHEDULE_BOUNDS.idPattern);
const DEFAULT_NEXT_FIRES = 10;

/** The id of a schedule to read or change: one no schedule can have is not found, without asking the store. */
function existingId(id: string): string {
  if (!SCHEDULE_ID.test(id)) throw new ScheduleNotFoundError(id);
  return id;
}

/** Registers the schedule routes. */
export function registerScheduleRoutes(app: FastifyInstance, client: Client): void {
  registerUpsertRoute(app, client);
  registerReadRoutes(app, client);
  registerActionRoutes(app, client);
}

function registerUpsertRoute(app: FastifyInstance, client: Client): void {
  app.put<{ Params: IdParams; Body: ScheduleBody }>(
    "/schedules/:id",
    {
      schema: {
        tags,
        summary: "Create or change a schedule (201 created, 200 otherwise); a new cron, every or tz restarts it from now",
        params: scheduleIdParams,
        body: scheduleBody,
        response: { 200: upsertAnswer, 201: upsertAnswer, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      const { schedule, outcome } = await client.schedules.upsert(definitionFromBody(request.params.id, request.body));
      const view = await readScheduleView(client, schedule);
      return reply.code(outcome === "created" ? 201 : 200).send({ ...view, outcome });
    },
  );
}

function registerReadRoutes(app: FastifyInstance, client: Client): void {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    "/schedules",
    { schema: { tags, summary: "List schedules in id order", querystring: scheduleListQuery, response: { 200: schedulePage, "4xx": errorRef } } },
    async (request) => schedulePageView(client, await client.schedules.list(pageOf(request.query))),
  );

  app.get<{ Params: IdParams }>(
    "/schedules/:id",
    { schema: { tags, summary: "Get a schedule", params: scheduleIdParams, response: { 200: scheduleRef, "4xx": errorRef } } },
    async (request) => readScheduleView(client, await client.schedules.require(existingId(request.params.id))),
  );

  app.get<{ Params: IdParams; Querystring: { count?: string } }>(
    "/schedules/:id/next",
    {
      schema: {
        tags,
        summary: "The schedule's next fire times (from now while paused)",
        params: scheduleIdParams,
        querystring: nextFiresQuery,
        response: { 200: nextFiresAnswer, "4xx": errorRef },
      },
    },
    async (request) => {
      const count = request.query.count === undefined ? DEFAULT_NEXT_FIRES : Number(request.query.count);
      const times = await client.schedules.next(existingId(request.params.id), count);
      return { fire_times: times.map(iso) };
    },
  );
}

function registerActionRoutes(app: FastifyInstance, client: Client): void {
  const toggle = (verb: "pause" | "resume", summary: string): void => {
    app.post<{ Params: IdParams }>(
      `/schedules/:id/${verb}`,
      { schema: { tags, summary, params: scheduleIdParams, response: { 200: scheduleRef, "4xx": errorRef } } },
      async (request) => {
        const id = existingId(request.params.id);
        return readScheduleView(client, verb === "pause" ? await client.schedules.pause(id) : await client.schedules.resume(id));
      },
    );
  };
  toggle("pause", "Pause a schedule: it fires no more until resumed");
  toggle("resume", "Resume a paused schedule from now on (fires missed while paused are not made up)");

  app.post<{ Params: IdParams }>(
    "/schedules/:id/trigger",
    {
      schema: {
        tags,
        summary: "Enqueue the schedule's job now, outside its timing (its next fire does not move)",
        params: scheduleIdParams,
        response: { 201: jobRef, "4xx": errorRef },
      },
    },
    async (request, reply) => reply.code(201).send(jobView(await client.schedules.trigger(existingId(request.params.id)))),
  );

  app.delete<{ Params: IdParams }>(
    "/schedules/:id",
    {
      schema: {
        tags,
        summary: "Remove a schedule (its jobs stay); added again later, it starts afresh",
        params: scheduleIdParams,
        response: { 204: { type: "null", description: "Removed" }, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      await client.schedules.remove(existingId(request.params.id));
      return reply.code(204).send();
    },
  );
}
