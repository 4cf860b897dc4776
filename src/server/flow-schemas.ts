// JSON schemas of flows, batches and the dependency read routes (decision 0018): a flow is a
// tree of jobs with the fields of POST /jobs, recursive through `children`; a batch is a list of
// such jobs and a callback. Bounds come from JOB_BOUNDS, like every other schema.
import { JOB_BOUNDS } from "../core/job-rules.js";
import { JOB_STATUSES } from "../core/job-states.js";
import { enqueueBody, jobRef, jobSchema } from "./schemas.js";

// A job of a flow or batch takes every field of POST /jobs but the idempotency key: a flow is
// stored whole, once per call, so a key on one of its jobs would mean nothing.
const { idempotency_key: _key, ...jobFields } = enqueueBody.properties;

/** Shared, recursive schema of one job of a flow and its children (run before it). */
export const flowJobSchema = {
  $id: "FlowJob",
  type: "object",
  required: ["task", "payload"],
  additionalProperties: false,
  properties: {
    ...jobFields,
    children: {
      type: "array",
      maxItems: JOB_BOUNDS.maxFlowJobs,
      items: { $ref: "FlowJob#" },
      description: `Jobs this one waits for and owns, each with the same fields; a flow holds at most ${JOB_BOUNDS.maxFlowJobs} jobs, ${JOB_BOUNDS.maxFlowDepth} levels below its root`,
    },
  },
} as const;

/** Reference to the flow job schema; also the body of POST /flows (its root). */
export const flowJobRef = { $ref: "FlowJob#" } as const;

/** One job of a batch (a member, or the callback): the fields of POST /jobs without children. */
const batchJob = {
  type: "object",
  required: ["task", "payload"],
  additionalProperties: false,
  properties: jobFields,
} as const;

/** Body of POST /batches. */
export const batchBody = {
  type: "object",
  required: ["jobs", "callback"],
  additionalProperties: false,
  properties: {
    // The callback is one more job of the batch, within the same bound.
    jobs: { type: "array", minItems: 1, maxItems: JOB_BOUNDS.maxFlowJobs - 1, items: batchJob, description: "The batch's members" },
    callback: { ...batchJob, description: "The job that runs once the members are final; its id is the batch's id" },
    on: {
      type: "string",
      enum: ["success", "always"],
      description: "success (default): the callback runs only if every member completed, else it fails with DEPENDENCY_FAILED at the first failure; always: it runs once every member is final",
    },
  },
} as const;

/** Answer of POST /flows. */
export const flowCreated = {
  type: "object",
  required: ["root", "jobs"],
  additionalProperties: false,
  properties: {
    root: jobRef,
    jobs: { type: "array", items: jobRef, description: "Every job of the flow, children before their parents (the root last)" },
  },
} as const;

/** A batch as the API shows it. */
export const batchSchema = {
  type: "object",
  required: ["batch_id", "finished", "counts", "callback"],
  additionalProperties: false,
  properties: {
    batch_id: { type: "string", description: "The callback's job id" },
    finished: { type: "boolean", description: "True once every member is final" },
    counts: { ...jobSchema.properties.dependencies, type: "object", description: "How the members have ended so far (each member's first outcome)" },
    callback: jobRef,
  },
} as const;

/** Answer of POST /batches. */
export const batchCreated = {
  type: "object",
  required: ["batch", "jobs"],
  additionalProperties: false,
  properties: { batch: batchSchema, jobs: { type: "array", items: jobRef, description: "The members, in the order given" } },
} as const;

/** Answer of GET /jobs/:id/tree. */
export const treeAnswer = {
  type: "object",
  required: ["root_id", "truncated", "jobs"],
  additionalProperties: false,
  properties: {
    root_id: { type: "string", description: "The flow's root (the job itself when it belongs to no flow)" },
    truncated: { type: "boolean", description: "True when the flow has more jobs than the answer shows" },
    jobs: { type: "array", items: jobRef, description: "The root, then what it depends on, level by level (breadth first)" },
  },
} as const;

/** Answer of GET /jobs/:id/dependencies. */
export const dependenciesAnswer = {
  type: "object",
  required: ["dependencies"],
  additionalProperties: false,
  properties: {
    dependencies: {
      type: "array",
      description: "How each dependency ended (or stands now), in depends_on order",
      items: {
        type: "object",
        required: ["job_id", "task", "status", "result", "error"],
        additionalProperties: false,
        properties: {
          job_id: { type: "string" },
          task: { type: "string" },
          status: { type: "string", enum: [...JOB_STATUSES] },
          result: {},
          error: jobSchema.properties.error,
        },
      },
    },
  },
} as const;
