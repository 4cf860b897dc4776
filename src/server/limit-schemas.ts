// JSON schemas of the limit routes (GET/PUT/DELETE /limits…, decision 0023), beside the job
// schemas of schemas.ts. They check shapes and the bounds of LIMIT_BOUNDS; what a setting means
// (a concurrency, a rate, or both) is the core's to judge, with INVALID_OPTIONS.
import { JOB_BOUNDS } from "../core/job-rules.js";
import { LIMIT_BOUNDS } from "../core/limits.js";
import { LIMIT_KEY, LIMIT_NAME, listQuery } from "./schemas.js";

const NAME = { type: "string", pattern: LIMIT_NAME, description: "A limit name: letters, digits, _ . : - (at most 64)" } as const;

/** Path parameters of one limit name (its default). */
export const limitNameParams = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: NAME },
} as const;

/** Path parameters of one (name, key). */
export const limitKeyParams = {
  type: "object",
  required: ["name", "key"],
  additionalProperties: false,
  properties: { name: NAME, key: { ...LIMIT_KEY, description: "The key (URL-encoded), e.g. a project id" } },
} as const;

/** Query of GET /limits. */
export const limitListQuery = {
  type: "object",
  additionalProperties: false,
  properties: { limit: listQuery.properties.limit, cursor: listQuery.properties.cursor },
} as const;

/** A rate on the wire. */
const rateSchema = {
  type: ["object", "null"],
  required: ["limit", "period_ms"],
  additionalProperties: false,
  description: "A token bucket: at most `limit` starts per `period_ms`, and max(burst, 1) at once after a quiet spell; in any window of period_ms at most limit + max(burst, 1) start",
  properties: {
    limit: { type: "integer", minimum: 1, maximum: LIMIT_BOUNDS.maxRate },
    period_ms: { type: "integer", minimum: LIMIT_BOUNDS.minPeriodMs, maximum: LIMIT_BOUNDS.maxPeriodMs },
    burst: { type: "integer", minimum: 0, maximum: LIMIT_BOUNDS.maxBurst, description: "Default 1" },
  },
} as const;

/** Body of PUT /limits/{name} and PUT /limits/{name}/{key}. */
export const limitBody = {
  type: "object",
  additionalProperties: false,
  description: "The whole setting (what is left out is none): a concurrency, a rate, or both",
  properties: {
    concurrency: { type: ["integer", "null"], minimum: 0, maximum: LIMIT_BOUNDS.maxConcurrency, description: "At most this many jobs with the key hold a lease at once (0 stops the key)" },
    rate: rateSchema,
  },
} as const;

const effectiveRate = { ...rateSchema, required: ["limit", "period_ms", "burst"] } as const;

/** One (name, key) as GET /limits shows it. */
export const limitUsageSchema = {
  type: "object",
  required: ["name", "key", "concurrency", "rate", "running", "waiting", "tokens", "at_limit"],
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    key: { type: "string" },
    concurrency: { type: ["integer", "null"], description: "The effective concurrency (the key's override, else the name's default), or null for none" },
    rate: effectiveRate,
    running: { type: "integer", description: "Jobs with this key holding a lease now" },
    waiting: { type: "integer", description: "QUEUED jobs waiting in this key's lane (jobs whose first limit it is)" },
    tokens: { type: ["number", "null"], description: "Rate tokens left now (a start takes one), or null without a rate" },
    at_limit: { type: "boolean", description: "True when a job with this key cannot start now because of it" },
  },
} as const;

/** A page of GET /limits. */
export const limitPage = {
  type: "object",
  required: ["limits", "next_cursor"],
  additionalProperties: false,
  properties: {
    limits: { type: "array", items: limitUsageSchema, description: `Every (name, key) with a running or waiting job or an override, in (name, key) order; at most ${JOB_BOUNDS.maxListLimit} a page` },
    next_cursor: { type: ["string", "null"] },
  },
} as const;

/** A stored setting, as PUT answers it. */
export const limitSettingSchema = {
  type: "object",
  required: ["name", "key", "concurrency", "rate", "source", "updated_at"],
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    key: { type: ["string", "null"], description: "null: the name's default" },
    concurrency: { type: ["integer", "null"] },
    rate: effectiveRate,
    source: { type: "string", enum: ["declared", "operator"], description: "declared: written by a worker from its tasks; operator: set over the API, CLI or dashboard (wins until cleared)" },
    updated_at: { type: "string", format: "date-time" },
  },
} as const;
