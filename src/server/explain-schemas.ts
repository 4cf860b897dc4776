// JSON schemas of explanations (GET /jobs/{id}/explain) and of the warnings of an enqueue
// (POST /jobs): reasons with stable codes (docs/explain.md), snake_case, ISO 8601 UTC times.
import { EXPLAIN_CODES } from "../core/explain.js";
import { JOB_STATUSES } from "../core/job-states.js";

const status = { type: "string", enum: [...JOB_STATUSES] } as const;

/** One reason: its code and message always, and the fields of its code (docs/explain.md). */
export const reasonSchema = {
  type: "object",
  required: ["code", "message"],
  additionalProperties: false,
  properties: {
    code: { type: "string", enum: [...EXPLAIN_CODES], description: "A stable code (docs/explain.md)" },
    message: { type: "string", description: "One sentence for people" },
    until: { type: "string", format: "date-time", description: "When it ends: the run time, the retry's time, the lease's expiry (store clock)" },
    queue: { type: "string" },
    task: { type: "string" },
    worker: { type: "string" },
    status,
    attempt: { type: "integer", description: "The attempt that failed (RETRY_BACKOFF_UNTIL)" },
    ahead: { type: "integer", description: "Jobs waiting ahead: in its queue (QUEUE_POSITION) or in higher-priority queues (BEHIND_HIGHER_PRIORITY)" },
    at_least: { type: "boolean", description: "`ahead` is a lower bound: counting stopped at 1,000" },
    queues: { type: "array", items: { type: "string" }, description: "The higher-priority queues with waiting jobs" },
    dependencies: {
      type: "array",
      description: "Unfinished dependencies (at most 20)",
      items: { type: "object", required: ["job_id", "task", "status"], additionalProperties: false, properties: { job_id: { type: "string" }, task: { type: "string" }, status } },
    },
    waiting: { type: "integer", description: "Dependencies not final yet" },
    total: { type: "integer", description: "All of its dependencies" },
    limit_keys: {
      type: "array",
      items: { type: "object", required: ["name", "key"], additionalProperties: false, properties: { name: { type: "string" }, key: { type: "string" } } },
    },
    workers: { type: "integer", description: "Live workers that would run the job" },
    slots: { type: "integer", description: "Their slots (concurrency), all busy" },
  },
} as const;

/** Answer of GET /jobs/{id}/explain. */
export const explainAnswer = {
  type: "object",
  required: ["job_id", "status", "reasons"],
  additionalProperties: false,
  properties: {
    job_id: { type: "string" },
    status,
    reasons: { type: "array", items: reasonSchema, description: "Why the job is not running or not finished, most decisive first" },
  },
} as const;

/** The `warnings` of POST /jobs: why the job would not start with the live workers there are. */
export const warningsSchema = {
  type: "array",
  items: reasonSchema,
  description: "NO_WORKER_FOR_QUEUE or NO_WORKER_FOR_TASK when no live worker would run the job (it is stored all the same); empty otherwise",
} as const;
