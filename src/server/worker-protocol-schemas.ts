// JSON schemas of the worker protocol (POST /worker/...): what a worker in any language sends
// and receives. Every field is bounded; objects reject unknown fields. docs/worker-protocol.md
// describes the same shapes for people writing a worker.
import { JOB_BOUNDS, JOB_DEFAULTS, QUEUE_NAME_PATTERN, TASK_NAME_PATTERN } from "../core/job-rules.js";
import { REMOTE_WORKER_BOUNDS } from "../core/remote-workers.js";
import { jobSchema } from "./schemas.js";

/** Worker names over HTTP: the task-name alphabet plus `@`, at most 128 characters. */
export const WORKER_NAME_PATTERN = `^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,${JOB_BOUNDS.maxWorkerNameLength - 1}}$`;

const workerName = { type: "string", pattern: WORKER_NAME_PATTERN, description: "The worker's name, unique per live worker" } as const;
const incarnation = {
  type: "string",
  pattern: "^[A-Za-z0-9_-]{8,64}$",
  description: "A random id the worker makes once per start; a new one under the same name releases the previous one's jobs",
} as const;
const queues = {
  type: "array",
  minItems: 1,
  maxItems: 64,
  uniqueItems: true,
  items: { type: "string", pattern: QUEUE_NAME_PATTERN },
  description: "Queues in strict priority order",
} as const;
const leaseMs = {
  type: "integer",
  minimum: REMOTE_WORKER_BOUNDS.minLeaseMs,
  maximum: REMOTE_WORKER_BOUNDS.maxLeaseMs,
  description: `Lease length in ms (default ${REMOTE_WORKER_BOUNDS.defaultLeaseMs}); heartbeat every third of it`,
} as const;
const leaseToken = { type: "string", minLength: 1, maxLength: JOB_BOUNDS.maxKeyLength, description: "The token the claim handed out with the job" } as const;
const tasks = {
  type: "array",
  maxItems: 1000,
  uniqueItems: true,
  items: { type: "string", pattern: TASK_NAME_PATTERN },
} as const;
const jobId = { type: "string", minLength: 1, maxLength: JOB_BOUNDS.maxKeyLength, pattern: "^[^\\u0000-\\u001F\\u007F]+$" } as const;
const TEXT_LIMIT = 64 * 1024;

// What every message that (re)describes the worker carries, for the worker registry.
const describedWorker = {
  worker: workerName,
  incarnation,
  queues,
  tasks: { ...tasks, description: "Tasks this worker runs, shown in the registry (GET /jobs/{id}/explain, enqueue warnings); absent: any task" },
  concurrency: { type: "integer", minimum: 1, maximum: JOB_BOUNDS.maxConcurrency },
  host: { type: "string", minLength: 1, maxLength: 255 },
  pid: { type: "integer", minimum: 0, maximum: 2 ** 31 - 1 },
  started_at: { type: "string", format: "date-time", description: "When the worker started (default: when the server first heard of it)" },
} as const;

/** Body of POST /worker/register. */
export const registerBody = {
  type: "object",
  required: ["worker", "incarnation", "queues", "concurrency", "host", "pid"],
  additionalProperties: false,
  properties: describedWorker,
} as const;

/** Answer of POST /worker/register. */
export const registerAnswer = {
  type: "object",
  required: ["worker", "incarnation", "released", "lease_ms", "max_wait_ms"],
  additionalProperties: false,
  properties: {
    worker: { type: "string" },
    incarnation: { type: "string" },
    released: { type: "integer", description: "Jobs of an earlier incarnation of this name that went back to QUEUED" },
    lease_ms: { type: "integer", description: "The default lease length" },
    max_wait_ms: { type: "integer", description: "The longest claim wait the server accepts" },
  },
} as const;

/** Body of POST /worker/claim. */
export const claimBody = {
  type: "object",
  required: ["worker", "incarnation", "queues"],
  additionalProperties: false,
  properties: {
    worker: workerName,
    incarnation,
    queues,
    tasks: {
      ...tasks,
      description: "Tasks this worker runs: a claimed job of another task fails with UNKNOWN_TASK, as on a Node worker; absent: any task",
    },
    limit: { type: "integer", minimum: 1, maximum: REMOTE_WORKER_BOUNDS.maxLeases, description: "Most jobs to claim (default 1): the worker's free slots" },
    wait_ms: { type: "integer", minimum: 0, maximum: REMOTE_WORKER_BOUNDS.maxWaitMs, description: `Longest wait for work (default ${REMOTE_WORKER_BOUNDS.defaultWaitMs})` },
    lease_ms: leaseMs,
  },
} as const;

/** A claimed job: the job as GET /jobs/:id shows it, with its lease. */
export const claimedJobSchema = {
  type: "object",
  additionalProperties: false,
  required: [...jobSchema.required, "lease_token", "lease_expires_at", "timeout_ms"],
  properties: {
    ...jobSchema.properties,
    lease_token: { type: "string", description: "Send it with every heartbeat, progress and settlement of this job" },
    lease_expires_at: { type: "string", format: "date-time", description: "The store's expiry of the lease (its clock: informative only)" },
    timeout_ms: { type: "integer", description: `The job's timeout (default ${JOB_DEFAULTS.timeoutMs}); the server fails the job once it passes` },
  },
} as const;

/** Answer of POST /worker/claim. */
export const claimAnswer = {
  type: "object",
  required: ["jobs", "lease_ms", "claimed_after_ms"],
  additionalProperties: false,
  properties: {
    jobs: { type: "array", items: claimedJobSchema },
    lease_ms: { type: "integer" },
    claimed_after_ms: {
      type: "integer",
      description: "Time from the server receiving the claim to its store claim: a job must not start once (time since sending the claim) − claimed_after_ms ≥ lease_ms − lease_ms/3",
    },
  },
} as const;

/** Body of POST /worker/heartbeat. */
export const heartbeatBody = {
  type: "object",
  required: ["worker", "incarnation", "queues", "concurrency", "host", "pid", "leases"],
  additionalProperties: false,
  properties: {
    ...describedWorker,
    lease_ms: leaseMs,
    leases: {
      type: "array",
      maxItems: REMOTE_WORKER_BOUNDS.maxLeases,
      items: { type: "object", required: ["job_id", "lease_token"], additionalProperties: false, properties: { job_id: jobId, lease_token: leaseToken } },
    },
    state: { type: "string", enum: ["idle", "busy", "stopping"] },
    processed: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    failed: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  },
} as const;

/** Answer of POST /worker/heartbeat. */
export const heartbeatAnswer = {
  type: "object",
  required: ["lost", "superseded"],
  additionalProperties: false,
  properties: {
    lost: {
      type: "array",
      description: "Jobs the worker no longer holds: stop them and settle nothing for them",
      items: {
        type: "object",
        required: ["job_id", "reason"],
        additionalProperties: false,
        properties: { job_id: { type: "string" }, reason: { type: "string", enum: ["canceled", "timeout", "lost"] } },
      },
    },
    superseded: { type: "boolean", description: "Another incarnation registered under this name: stop at once" },
  },
} as const;

/** Body of POST /worker/unregister. */
export const unregisterBody = {
  type: "object",
  required: ["worker", "incarnation"],
  additionalProperties: false,
  properties: { worker: workerName, incarnation },
} as const;

/** Answer of POST /worker/unregister. */
export const unregisterAnswer = {
  type: "object",
  required: ["worker", "unregistered"],
  additionalProperties: false,
  properties: { worker: { type: "string" }, unregistered: { type: "boolean" } },
} as const;

/** Path of the per-job routes. */
export const workerJobParams = { type: "object", required: ["id"], additionalProperties: false, properties: { id: jobId } } as const;

/** Body of POST /worker/jobs/:id/progress. */
export const progressBody = {
  type: "object",
  required: ["lease_token", "progress"],
  additionalProperties: false,
  properties: { lease_token: leaseToken, progress: { description: "Any JSON value (at most 64 KiB)" } },
} as const;

/** Body of POST /worker/jobs/:id/complete. */
export const completeBody = {
  type: "object",
  required: ["lease_token"],
  additionalProperties: false,
  properties: { lease_token: leaseToken, result: { description: "Any JSON value (default null)" } },
} as const;

/** Body of POST /worker/jobs/:id/fail. */
export const failBody = {
  type: "object",
  required: ["lease_token", "error"],
  additionalProperties: false,
  properties: {
    lease_token: leaseToken,
    error: {
      type: "object",
      required: ["message"],
      additionalProperties: false,
      properties: {
        message: { type: "string", maxLength: TEXT_LIMIT },
        stack: { type: "string", maxLength: TEXT_LIMIT },
        code: { type: "string", enum: ["TASK_ERROR", "TIMEOUT", "UNKNOWN_TASK", "INVALID_PAYLOAD"], description: "Default TASK_ERROR" },
      },
    },
    retryable: { type: "boolean", description: "A TASK_ERROR is retried while attempts remain unless this is false (default true); TIMEOUT follows the job's retry_on_timeout, the other codes never retry" },
    retry_after_ms: {
      type: "integer",
      minimum: 0,
      maximum: JOB_BOUNDS.maxDelayMs,
      description: `Not now (an upstream said 429): the job waits this long (SCHEDULED) and the attempt is not counted, as a Node task's RetryAfter; at most ${JOB_BOUNDS.maxPostponements} times, then it fails with POSTPONED_TOO_OFTEN. Only with a TASK_ERROR (400 INVALID_OPTIONS with another code or retryable: false)`,
    },
  },
} as const;

/** Body of POST /worker/jobs/:id/release. */
export const releaseBody = {
  type: "object",
  required: ["lease_token"],
  additionalProperties: false,
  properties: { lease_token: leaseToken },
} as const;

/** Answer of every per-job route: the job's status after the call. */
export const settledAnswer = {
  type: "object",
  required: ["job_id", "status"],
  additionalProperties: false,
  properties: {
    job_id: { type: "string" },
    status: { type: "string", enum: ["PROCESSING", "COMPLETED", "FAILED", "SCHEDULED", "QUEUED"] },
    run_at: { type: ["string", "null"], format: "date-time", description: "fail: when the retry runs (SCHEDULED), else null" },
  },
} as const;
