// The worker protocol over HTTP (POST /worker/...): register, claim (long-polled), heartbeat,
// progress, complete, fail, release, unregister. Workers in any language run jobs under the same
// leases and fencing as the Node worker; the rules live in core (client.remoteWorkers), these
// handlers only check the caller's queues and shape the answers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Client } from "../../core/client.js";
import type { ClaimedJob, Json } from "../../core/job.js";
import { REMOTE_WORKER_BOUNDS, type RemoteFailure, type RemoteWorkerInfo } from "../../core/remote-workers.js";
import { grantOf, type AuthRouteConfig } from "../auth.js";
import { sendError } from "../error-handler.js";
import { iso, isoOrNull, jobView } from "../views.js";
import {
  claimAnswer,
  claimBody,
  completeBody,
  failBody,
  heartbeatAnswer,
  heartbeatBody,
  progressBody,
  registerAnswer,
  registerBody,
  releaseBody,
  settledAnswer,
  unregisterAnswer,
  unregisterBody,
  workerJobParams,
} from "../worker-protocol-schemas.js";
import { errorRef } from "../schemas.js";

/** What the worker protocol's routes need. */
export interface WorkerProtocolDeps {
  client: Client;
  /** Queues the worker token may use; null: any. The full token may use any queue. */
  workerQueues: readonly string[] | null;
}

interface DescribedWorker {
  worker: string;
  incarnation: string;
  queues: string[];
  tasks?: string[];
  concurrency: number;
  host: string;
  pid: number;
  started_at?: string;
}

interface ClaimBody {
  worker: string;
  incarnation: string;
  queues: string[];
  tasks?: string[];
  limit?: number;
  wait_ms?: number;
  lease_ms?: number;
}

interface HeartbeatBody extends DescribedWorker {
  lease_ms?: number;
  leases: Array<{ job_id: string; lease_token: string }>;
  state?: "idle" | "busy" | "stopping";
  processed?: number;
  failed?: number;
}

interface JobParams {
  id: string;
}

const tags = ["worker protocol"];
const config: AuthRouteConfig = { workerProtocol: true };

// The route config field that auth.ts reads, known to Fastify's route option types.
declare module "fastify" {
  interface FastifyContextConfig {
    workerProtocol?: boolean;
  }
}

function workerInfo(body: DescribedWorker): RemoteWorkerInfo {
  const info: RemoteWorkerInfo = { name: body.worker, incarnation: body.incarnation, host: body.host, pid: body.pid, queues: body.queues, concurrency: body.concurrency };
  if (body.started_at !== undefined) info.startedAt = Date.parse(body.started_at);
  if (body.tasks !== undefined) info.tasks = body.tasks;
  return info;
}

/** A claimed job on the wire. */
function claimedJobView(job: ClaimedJob): Record<string, unknown> {
  return { ...jobView(job), lease_token: job.leaseToken, lease_expires_at: iso(job.leaseExpiresAt), timeout_ms: job.timeoutMs };
}

/** Refuses (403) a worker token asking for queues it is not allowed; true when it answered. */
function refuseQueues(request: FastifyRequest, reply: FastifyReply, allowed: readonly string[] | null, queues: readonly string[]): boolean {
  if (allowed === null || grantOf(request)?.access !== "worker") return false;
  const outside = queues.filter((q) => !allowed.includes(q));
  if (outside.length === 0) return false;
  void sendError(reply, "FORBIDDEN", `The worker token may not use queue(s) ${outside.join(", ")}; it is allowed ${allowed.join(", ")}`);
  return true;
}

/** Registers the worker protocol's routes. */
export function registerWorkerProtocolRoutes(app: FastifyInstance, deps: WorkerProtocolDeps): void {
  registerLifecycleRoutes(app, deps);
  registerClaimRoute(app, deps);
  registerJobRoutes(app, deps.client);
}

function registerLifecycleRoutes(app: FastifyInstance, { client, workerQueues }: WorkerProtocolDeps): void {
  const remote = client.remoteWorkers;
  app.post<{ Body: DescribedWorker }>(
    "/worker/register",
    { config, schema: { tags, summary: "Register a worker incarnation (releases an earlier incarnation's jobs)", body: registerBody, response: { 200: registerAnswer, "4xx": errorRef } } },
    async (request, reply) => {
      if (refuseQueues(request, reply, workerQueues, request.body.queues)) return reply;
      const released = await remote.register(workerInfo(request.body));
      return { worker: request.body.worker, incarnation: request.body.incarnation, released, lease_ms: REMOTE_WORKER_BOUNDS.defaultLeaseMs, max_wait_ms: REMOTE_WORKER_BOUNDS.maxWaitMs };
    },
  );
  app.post<{ Body: HeartbeatBody }>(
    "/worker/heartbeat",
    { config, schema: { tags, summary: "Extend the worker's leases; the answer names the jobs it lost (canceled, timed out, taken over)", body: heartbeatBody, response: { 200: heartbeatAnswer, "4xx": errorRef } } },
    async (request, reply) => {
      const body = request.body;
      if (refuseQueues(request, reply, workerQueues, body.queues)) return reply;
      const result = await remote.extendLeases({
        ...workerInfo(body),
        ...(body.state === undefined ? {} : { state: body.state }),
        ...(body.processed === undefined ? {} : { processed: body.processed }),
        ...(body.failed === undefined ? {} : { failed: body.failed }),
        leaseMs: body.lease_ms ?? REMOTE_WORKER_BOUNDS.defaultLeaseMs,
        leases: body.leases.map((l) => ({ jobId: l.job_id, token: l.lease_token })),
      });
      return { lost: result.lost.map((l) => ({ job_id: l.jobId, reason: l.reason })), superseded: result.superseded };
    },
  );
  app.post<{ Body: { worker: string; incarnation: string } }>(
    "/worker/unregister",
    { config, schema: { tags, summary: "Remove the worker from the registry (after releasing or settling its jobs)", body: unregisterBody, response: { 200: unregisterAnswer, "4xx": errorRef } } },
    async (request) => {
      await remote.unregister(request.body.worker, request.body.incarnation);
      return { worker: request.body.worker, unregistered: true };
    },
  );
}

function registerClaimRoute(app: FastifyInstance, { client, workerQueues }: WorkerProtocolDeps): void {
  // Aborted as the server closes: every waiting claim answers at once (empty) instead of holding shutdown.
  const closing = new AbortController();
  app.addHook("preClose", async () => closing.abort());
  app.post<{ Body: ClaimBody }>(
    "/worker/claim",
    { config, schema: { tags, summary: "Claim up to `limit` jobs, waiting up to `wait_ms` for work (long-poll)", body: claimBody, response: { 200: claimAnswer, "4xx": errorRef } } },
    async (request, reply) => {
      const body = request.body;
      if (refuseQueues(request, reply, workerQueues, body.queues)) return reply;
      // A worker that hangs up while it waits gets no jobs: they would only wait for their lease to expire.
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const leaseMs = body.lease_ms ?? REMOTE_WORKER_BOUNDS.defaultLeaseMs;
      const claim = await client.remoteWorkers.claim({
        worker: body.worker,
        incarnation: body.incarnation,
        queues: body.queues,
        tasks: body.tasks ?? null,
        limit: body.limit ?? 1,
        leaseMs,
        waitMs: body.wait_ms ?? REMOTE_WORKER_BOUNDS.defaultWaitMs,
        signal: AbortSignal.any([closing.signal, gone.signal]),
        abandoned: () => gone.signal.aborted,
      });
      return { jobs: claim.jobs.map(claimedJobView), lease_ms: leaseMs, claimed_after_ms: claim.claimedAfterMs };
    },
  );
}

function registerJobRoutes(app: FastifyInstance, client: Client): void {
  const remote = client.remoteWorkers;
  const schema = (summary: string, body: object): Record<string, unknown> => ({ tags, summary, params: workerJobParams, body, response: { 200: settledAnswer, "4xx": errorRef } });
  app.post<{ Params: JobParams; Body: { lease_token: string; progress: unknown } }>(
    "/worker/jobs/:id/progress",
    { config, schema: schema("Report a running job's progress (409 LEASE_LOST with a stale lease)", progressBody) },
    async (request) => {
      await remote.progress({ jobId: request.params.id, token: request.body.lease_token }, request.body.progress as Json);
      return { job_id: request.params.id, status: "PROCESSING" };
    },
  );
  app.post<{ Params: JobParams; Body: { lease_token: string; result?: unknown } }>(
    "/worker/jobs/:id/complete",
    { config, schema: schema("Complete a job with its result (409 LEASE_LOST with a stale lease)", completeBody) },
    async (request) => {
      const status = await remote.complete({ jobId: request.params.id, token: request.body.lease_token }, (request.body.result ?? null) as Json);
      return { job_id: request.params.id, status };
    },
  );
  app.post<{ Params: JobParams; Body: { lease_token: string; error: Omit<RemoteFailure, "retryable" | "retryAfterMs">; retryable?: boolean; retry_after_ms?: number } }>(
    "/worker/jobs/:id/fail",
    { config, schema: schema("Fail a job's attempt: retried after its backoff while attempts remain, or put off uncounted with retry_after_ms (409 LEASE_LOST with a stale lease)", failBody) },
    async (request) => {
      const { error, retryable, retry_after_ms: retryAfterMs } = request.body;
      const failure: RemoteFailure = { ...error, ...(retryable === undefined ? {} : { retryable }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      const job = await remote.fail({ jobId: request.params.id, token: request.body.lease_token }, failure);
      return { job_id: job.id, status: job.status, run_at: job.status === "SCHEDULED" ? isoOrNull(job.runAt) : null };
    },
  );
  app.post<{ Params: JobParams; Body: { lease_token: string } }>(
    "/worker/jobs/:id/release",
    { config, schema: schema("Hand a job back to QUEUED without counting the attempt (a warm stop)", releaseBody) },
    async (request) => {
      await remote.release({ jobId: request.params.id, token: request.body.lease_token });
      return { job_id: request.params.id, status: "QUEUED" };
    },
  );
}
