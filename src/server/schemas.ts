// JSON schemas of every request and response: Fastify validates with them and the OpenAPI
// document is generated from them. Objects reject unknown fields (additionalProperties: false).
// Query-string values are strings on the wire, so query schemas match them with patterns.
import { DEPENDENCY_FAILURE_POLICIES } from "../core/job.js";
import { JOB_BOUNDS, QUEUE_NAME_PATTERN, TASK_NAME_PATTERN } from "../core/job-rules.js";
import { JOB_STATUSES } from "../core/job-states.js";
import { LIMIT_NAME_PATTERN } from "../core/limits.js";
import { warningsSchema } from "./explain-schemas.js";

// The job rules (core/job-rules.ts), in the units of the wire: seconds for times.
const TASK_NAME = TASK_NAME_PATTERN;
const QUEUE_NAME = QUEUE_NAME_PATTERN;
const KEY_LENGTH = JOB_BOUNDS.maxKeyLength;
const SHORT_TEXT = { type: "string", minLength: 1, maxLength: KEY_LENGTH } as const;
const ISO_TIME = { type: ["string", "null"], format: "date-time" } as const;

/** How many of a job's dependency ids its view lists (a batch's callback may have 10,000). */
export const DEPENDS_ON_SHOWN = 100;

/** Path parameter and body field pattern of a job id: no control characters (the Redis store refuses NUL in ids). */
const JOB_ID = { type: "string", minLength: 1, maxLength: KEY_LENGTH, pattern: "^[^\\u0000-\\u001F\\u007F]+$" } as const;

/** The dependency fields a job accepts at enqueue (POST /jobs, and each job of a flow or batch). */
export const dependencyFields = {
  depends_on: {
    type: "array",
    maxItems: JOB_BOUNDS.maxDependencies,
    items: JOB_ID,
    description: `Ids of jobs this one waits for (at most ${JOB_BOUNDS.maxDependencies}): it is DEFERRED until they are final. Each must exist, else 400 DEPENDENCY_NOT_FOUND`,
  },
  on_dependency_failure: {
    type: "string",
    enum: [...DEPENDENCY_FAILURE_POLICIES],
    description: "What a FAILED or CANCELED dependency does: fail this job with DEPENDENCY_FAILED (default), cancel it, or run it anyway",
  },
} as const;

/** Pattern of a limit name (decision 0023), as the core checks it. */
export const LIMIT_NAME = LIMIT_NAME_PATTERN.source;

/** A limit's key on the wire: 1 to 256 characters, no NUL (as the core checks it). */
export const LIMIT_KEY = { type: "string", minLength: 1, maxLength: KEY_LENGTH, pattern: "^[^\\u0000]+$" } as const;

/** The limit keys a job accepts at enqueue (POST /jobs, and each job of a flow or batch). */
export const limitKeysField = {
  limit_keys: {
    type: "object",
    maxProperties: JOB_BOUNDS.maxLimitsPerJob,
    propertyNames: { pattern: LIMIT_NAME },
    additionalProperties: LIMIT_KEY,
    description: `Limit keys by limit name, e.g. {"per-project": "42"} (at most ${JOB_BOUNDS.maxLimitsPerJob}): they replace the keys the task's declared limits derive from the job, or put it under a limit its task does not declare (docs/limits.md)`,
  },
} as const;

/** Shared schema of every error answer. */
export const errorSchema = {
  $id: "Error",
  type: "object",
  required: ["error"],
  additionalProperties: false,
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      additionalProperties: false,
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

/** Reference to the error schema, for `response` maps. */
export const errorRef = { $ref: "Error#" } as const;

/** Shared schema of a job as the API shows it (snake_case, ISO 8601 UTC times). */
export const jobSchema = {
  $id: "Job",
  type: "object",
  additionalProperties: false,
  required: ["job_id", "status", "queue", "task", "created_at", "attempt", "max_attempts", "retries", "meta"],
  properties: {
    job_id: { type: "string" },
    status: { type: "string", enum: [...JOB_STATUSES] },
    queue: { type: "string" },
    task: { type: "string" },
    payload: {},
    created_at: { type: "string", format: "date-time" },
    enqueued_at: ISO_TIME,
    started_at: ISO_TIME,
    completed_at: ISO_TIME,
    run_at: ISO_TIME,
    progress: {},
    result: {},
    error: {
      type: ["object", "null"],
      additionalProperties: false,
      properties: { code: { type: "string" }, message: { type: "string" }, stack: { type: "string", description: "Where the task threw, when known" } },
    },
    attempt: { type: "integer", description: "Attempts started since the job was enqueued or last retried" },
    max_attempts: { type: "integer" },
    retries: { type: "integer", description: "How many times an operator retried the job after it failed or was canceled" },
    timeout: { type: "number", description: "Seconds" },
    worker: { type: ["string", "null"] },
    idempotency_key: { type: ["string", "null"] },
    meta: { type: "object", additionalProperties: true },
    schedule_id: { type: ["string", "null"], description: "The schedule that made the job, or null" },
    fire_at: { ...ISO_TIME, description: "The fire time the job stands for (a trigger: when it was triggered), or null" },
    depends_on: {
      type: "array",
      items: { type: "string" },
      description: `The jobs this one waits for, in the order given (the first ${DEPENDS_ON_SHOWN}; depends_on_count tells how many)`,
    },
    depends_on_count: { type: "integer", description: "How many jobs this one waits for" },
    on_dependency_failure: { type: "string", enum: [...DEPENDENCY_FAILURE_POLICIES], description: "What a FAILED or CANCELED dependency does to this job" },
    dependencies: {
      type: ["object", "null"],
      additionalProperties: false,
      required: ["total", "waiting", "completed", "failed", "canceled"],
      description: "How its dependencies have ended so far (waiting: not final yet), or null when it has none",
      properties: {
        total: { type: "integer" },
        waiting: { type: "integer" },
        completed: { type: "integer" },
        failed: { type: "integer" },
        canceled: { type: "integer" },
      },
    },
    dependents: { type: "integer", description: "How many jobs depend on this one" },
    parent_id: { type: ["string", "null"], description: "The job this one was created for (a flow's parent, a batch's callback, a fan-out), or null" },
    flow_id: { type: ["string", "null"], description: "The root of the flow or the batch this job belongs to, or null" },
    limit_keys: {
      type: "array",
      items: { type: "object", required: ["name", "key"], additionalProperties: false, properties: { name: { type: "string" }, key: { type: "string" } } },
      description: "The limits the job is under (docs/limits.md); it waits in the lane of the first. Empty for most jobs",
    },
    postponements: { type: "integer", description: "Times its task put it off with RetryAfter (those attempts were not counted)" },
    held_by: {
      type: ["string", "null"],
      description: 'GET /jobs/{id} only: why a QUEUED job under limits is not running, e.g. "limited by per-project, key 42: 2 of 2 running"; null when no limit holds it back',
    },
  },
} as const;

/** Reference to the job schema. */
export const jobRef = { $ref: "Job#" } as const;

/** Body of POST /jobs. */
export const enqueueBody = {
  type: "object",
  required: ["task", "payload"],
  additionalProperties: false,
  properties: {
    task: { type: "string", pattern: TASK_NAME },
    payload: { description: "Any JSON value; checked against the task's schema when the server knows the task" },
    queue: { type: "string", pattern: QUEUE_NAME },
    timeout: { type: "number", exclusiveMinimum: 0, maximum: JOB_BOUNDS.maxTimeoutMs / 1000, description: "Seconds" },
    max_attempts: { type: "integer", minimum: 1, maximum: JOB_BOUNDS.maxAttempts },
    delay: { type: "number", minimum: 0, maximum: JOB_BOUNDS.maxDelayMs / 1000, description: "Seconds" },
    run_at: { type: "string", format: "date-time" },
    idempotency_key: SHORT_TEXT,
    meta: {
      type: "object",
      maxProperties: JOB_BOUNDS.maxMetaProperties,
      additionalProperties: true,
      properties: { project_id: { type: "string", maxLength: KEY_LENGTH }, user_id: { type: "string", maxLength: KEY_LENGTH } },
    },
    ...dependencyFields,
    ...limitKeysField,
  },
} as const;

/** Answer of POST /jobs when a job was created. */
export const enqueueCreated = {
  type: "object",
  description: "The job (as GET /jobs/{id} shows it), with `created`: true when this call stored it, false when its idempotency key named an earlier job (then nothing was stored)",
  additionalProperties: false,
  required: [...jobSchema.required, "created"],
  properties: {
    ...jobSchema.properties,
    created: { type: "boolean", description: "Whether this call stored the job (false: its idempotency key named an earlier one)" },
    warnings: warningsSchema,
  },
} as const;

/** Path parameter `:id` of a job. */
export const jobIdParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  // No control characters: no job id has them (the Redis store refuses NUL in ids).
  properties: { id: JOB_ID },
} as const;

/** Path parameter `:name` of a queue. */
export const queueParams = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: { type: "string", pattern: QUEUE_NAME } },
} as const;

const limitParam = { type: "string", pattern: "^[0-9]{1,9}$", description: `Page size, 1 to ${JOB_BOUNDS.maxListLimit} (larger values are capped)` };
const cursorParam = { type: "string", minLength: 1, maxLength: KEY_LENGTH, description: "next_cursor of the previous page" };

/** Query of GET /jobs. */
export const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    status: { type: "string", enum: [...JOB_STATUSES] },
    queue: { type: "string", pattern: QUEUE_NAME },
    task: { type: "string", pattern: TASK_NAME },
    project_id: SHORT_TEXT,
    user_id: SHORT_TEXT,
    schedule_id: { ...SHORT_TEXT, description: "Only jobs made by this schedule" },
    limit: limitParam,
    cursor: cursorParam,
  },
} as const;

/** Query of GET /monitoring/queue/failed. */
export const failedQuery = {
  type: "object",
  additionalProperties: false,
  properties: { queue: { type: "string", pattern: QUEUE_NAME }, limit: limitParam, cursor: cursorParam },
} as const;

/** A page of jobs. */
export const jobPage = {
  type: "object",
  required: ["jobs", "next_cursor"],
  additionalProperties: false,
  properties: { jobs: { type: "array", items: jobRef }, next_cursor: { type: ["string", "null"] } },
} as const;

/** Body of POST /monitoring/queue/failed: one job by id (either field name), or all of them. */
export const failedRetryBody = {
  oneOf: [
    { type: "object", required: ["rq_job_id"], additionalProperties: false, properties: { rq_job_id: jobIdParams.properties.id } },
    { type: "object", required: ["job_id"], additionalProperties: false, properties: { job_id: jobIdParams.properties.id } },
    {
      type: "object",
      required: ["all"],
      additionalProperties: false,
      properties: { all: { type: "boolean", const: true }, queue: { type: "string", pattern: QUEUE_NAME } },
    },
  ],
} as const;

/** Answer of POST /monitoring/queue/failed. */
export const failedRetryAnswer = {
  type: "object",
  additionalProperties: false,
  properties: {
    job_id: { type: "string" },
    status: { type: "string" },
    retried: { type: "integer", description: "How many jobs went back to QUEUED" },
  },
} as const;

const countsSchema = {
  type: "object",
  additionalProperties: false,
  required: [...JOB_STATUSES],
  properties: Object.fromEntries(JOB_STATUSES.map((s) => [s, { type: "integer" }])),
};

/** Answer of GET /monitoring/queue/stats. */
export const statsAnswer = {
  type: "object",
  required: ["queues"],
  additionalProperties: false,
  properties: {
    queues: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["queue", "counts", "oldest_waiting_seconds", "completed_last_minute", "failed_last_minute", "paused"],
        properties: {
          queue: { type: "string" },
          counts: countsSchema,
          oldest_waiting_seconds: { type: ["number", "null"] },
          completed_last_minute: { type: "integer" },
          failed_last_minute: { type: "integer" },
          paused: { type: "boolean" },
        },
      },
    },
  },
} as const;

/** Answer of GET /monitoring/queue/workers. */
export const workersAnswer = {
  type: "object",
  required: ["workers"],
  additionalProperties: false,
  properties: {
    workers: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          host: { type: "string" },
          pid: { type: "integer" },
          queues: { type: "array", items: { type: "string" } },
          tasks: { type: "array", items: { type: "string" }, description: "The tasks it runs; empty when it does not say (then any task)" },
          concurrency: { type: "integer" },
          state: { type: "string" },
          current_job_ids: { type: "array", items: { type: "string" } },
          started_at: { type: "string", format: "date-time" },
          last_heartbeat: { type: "string", format: "date-time" },
          processed: { type: "integer" },
          failed: { type: "integer" },
        },
      },
    },
  },
} as const;

/** Answer of GET /monitoring/health. */
export const healthAnswer = {
  type: "object",
  required: ["status"],
  additionalProperties: false,
  properties: {
    status: { type: "string", enum: ["ok", "degraded", "down"] },
    reasons: { type: "array", items: { type: "string" } },
    store: { type: "string" },
    live_workers: { type: "integer" },
    store_details: { type: "object", additionalProperties: true, description: "What the store says of itself: e.g. PostgreSQL's version, fsync, synchronous_commit, the pool" },
  },
} as const;

/** Query of GET /events. */
export const eventsQuery = {
  type: "object",
  additionalProperties: false,
  properties: { job_id: jobIdParams.properties.id, queue: { type: "string", pattern: QUEUE_NAME } },
} as const;

/** One job event as the API shows it (timeline and SSE data). */
export const eventSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    seq: { type: "string" },
    type: { type: "string" },
    job_id: { type: "string" },
    queue: { type: "string" },
    task: { type: "string" },
    status: { type: "string" },
    at: { type: "string", format: "date-time" },
    attempt: { type: "integer" },
    worker: { type: ["string", "null"] },
    progress: {},
    error: jobSchema.properties.error,
    duration_ms: { type: "number" },
  },
} as const;

/** Answer of GET /jobs/:id/events. */
export const jobEventsAnswer = {
  type: "object",
  required: ["events"],
  additionalProperties: false,
  properties: { events: { type: "array", items: eventSchema } },
} as const;

/** Answer of the queue pause and resume actions. */
export const queueAnswer = {
  type: "object",
  required: ["queue", "paused"],
  additionalProperties: false,
  properties: { queue: { type: "string" }, paused: { type: "boolean" } },
} as const;
