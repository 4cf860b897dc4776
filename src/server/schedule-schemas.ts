// JSON schemas of the schedule routes (PUT/GET/DELETE /schedules…), beside the job schemas of
// schemas.ts. The schemas check shapes only: what a schedule means (a valid cron, zone or
// interval, both or neither of cron and every) is the core's to judge, so those errors carry
// INVALID_SCHEDULE rather than the schema's BAD_REQUEST.
import { JOB_BOUNDS, QUEUE_NAME_PATTERN, SCHEDULE_BOUNDS, TASK_NAME_PATTERN } from "../core/job-rules.js";
import { JOB_STATUSES } from "../core/job-states.js";
import { enqueueBody } from "./schemas.js";

const ISO_TIME = { type: ["string", "null"], format: "date-time" } as const;
const OVERLAPS = ["allow", "skip", "one_waiting"] as const;

/** `catch_up` on the wire: "latest", "none" or {"backfill": n}. */
const catchUpSchema = {
  description: `Fires missed while nothing ran (more than ${SCHEDULE_BOUNDS.misfireGraceMs / 1000} s late): one job for the latest (default), none, or up to n of the latest`,
  oneOf: [
    { type: "string", enum: ["latest", "none"] },
    {
      type: "object",
      required: ["backfill"],
      additionalProperties: false,
      properties: { backfill: { type: "integer", description: `1 to ${SCHEDULE_BOUNDS.maxBackfill}` } },
    },
  ],
} as const;

/** Path parameter `:id` of a schedule; its alphabet is checked by the route (an id that cannot exist is not found). */
export const scheduleIdParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "string", minLength: 1, maxLength: JOB_BOUNDS.maxKeyLength, pattern: "^[^\\u0000-\\u001F\\u007F]+$" } },
} as const;

/** Body of PUT /schedules/:id. */
export const scheduleBody = {
  type: "object",
  required: ["task"],
  additionalProperties: false,
  properties: {
    task: { type: "string", pattern: TASK_NAME_PATTERN },
    payload: { description: "Any JSON value (default {}); checked against the task's schema when the server knows the task" },
    cron: { type: "string", maxLength: 256, description: "5 fields, or 6 with seconds first; names such as MON-FRI; @hourly, @daily, @weekly, @monthly, @yearly. Exactly one of cron and every." },
    every: {
      oneOf: [{ type: "string", maxLength: 32 }, { type: "number" }],
      description: 'Interval: "30s", "5m", "1h", "1d", or a number of seconds (at least 1). Exactly one of cron and every.',
    },
    tz: { type: "string", maxLength: 64, description: 'IANA time zone of cron, e.g. "Europe/Paris" (default "UTC")' },
    queue: { type: "string", pattern: QUEUE_NAME_PATTERN },
    timeout: enqueueBody.properties.timeout,
    max_attempts: enqueueBody.properties.max_attempts,
    meta: enqueueBody.properties.meta,
    catch_up: catchUpSchema,
    overlap: {
      type: "string",
      enum: [...OVERLAPS],
      description: "While the previous job of the schedule has not finished: fire anyway (allow, default), skip the fire, or fire only if it already runs (one_waiting)",
    },
  },
} as const;

/** Shared schema of a schedule as the API shows it. */
export const scheduleSchema = {
  $id: "Schedule",
  type: "object",
  additionalProperties: false,
  required: [
    "schedule_id", "task", "payload", "cron", "tz", "every", "queue", "timeout", "max_attempts", "meta", "catch_up", "overlap",
    "paused", "next_fire_at", "last_fire_at", "last_job", "created_at", "updated_at",
  ],
  properties: {
    schedule_id: { type: "string" },
    task: { type: "string" },
    payload: {},
    cron: { type: ["string", "null"] },
    tz: { type: "string" },
    every: { type: ["number", "null"], description: "Seconds, or null for a cron schedule" },
    queue: { type: "string" },
    timeout: { type: "number", description: "Seconds" },
    max_attempts: { type: "integer" },
    meta: { type: "object", additionalProperties: true },
    catch_up: catchUpSchema,
    overlap: { type: "string", enum: [...OVERLAPS] },
    paused: { type: "boolean" },
    next_fire_at: { ...ISO_TIME, description: "Null while paused" },
    last_fire_at: { ...ISO_TIME, description: "The latest fire time that fired or was skipped; null before the first" },
    last_job: {
      type: ["object", "null"],
      additionalProperties: false,
      required: ["job_id", "status"],
      description: "The last job the schedule made (by a fire or a trigger); status is null once the job was pruned or deleted",
      properties: { job_id: { type: "string" }, status: { type: ["string", "null"], enum: [...JOB_STATUSES, null] } },
    },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
  },
} as const;

/** Reference to the schedule schema. */
export const scheduleRef = { $ref: "Schedule#" } as const;

/** Answer of PUT /schedules/:id: the schedule and what the upsert did. */
export const upsertAnswer = {
  type: "object",
  additionalProperties: false,
  required: [...scheduleSchema.required, "outcome"],
  properties: {
    ...scheduleSchema.properties,
    outcome: {
      type: "string",
      enum: ["created", "unchanged", "updated", "retimed"],
      description: "unchanged: the same definition (nothing written); updated: job or policies changed; retimed: cron, every or tz changed (restarts from now)",
    },
  },
} as const;

/** Query of GET /schedules. */
export const scheduleListQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    limit: { type: "string", pattern: "^[0-9]{1,9}$", description: `Page size, 1 to ${SCHEDULE_BOUNDS.maxListLimit} (default 100; larger values are capped)` },
    cursor: { type: "string", minLength: 1, maxLength: JOB_BOUNDS.maxKeyLength, description: "next_cursor of the previous page" },
  },
} as const;

/** A page of schedules, in id order. */
export const schedulePage = {
  type: "object",
  required: ["schedules", "next_cursor"],
  additionalProperties: false,
  properties: { schedules: { type: "array", items: scheduleRef }, next_cursor: { type: ["string", "null"] } },
} as const;

/** Most fire times GET /schedules/:id/next answers. */
export const MAX_NEXT_FIRES = 100;

/** Query of GET /schedules/:id/next. */
export const nextFiresQuery = {
  type: "object",
  additionalProperties: false,
  properties: { count: { type: "string", pattern: "^(?:[1-9]|[1-9][0-9]|100)$", description: `How many fire times, 1 to ${MAX_NEXT_FIRES} (default 10)` } },
} as const;

/** Answer of GET /schedules/:id/next. */
export const nextFiresAnswer = {
  type: "object",
  required: ["fire_times"],
  additionalProperties: false,
  properties: { fire_times: { type: "array", items: { type: "string", format: "date-time" } } },
} as const;
