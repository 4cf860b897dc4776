// The monitoring routes of the system Caudex replaces: health, queue stats, live workers, and
// failed jobs (list and retry, accepting the original `rq_job_id` field).
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import type { Clock } from "../../core/clock.js";
import { grantedAccess, type AuthRouteConfig } from "../auth.js";
import { checkHealth, type HealthReport } from "../health.js";
import {
  errorRef,
  failedQuery,
  failedRetryAnswer,
  failedRetryBody,
  healthAnswer,
  jobPage,
  statsAnswer,
  workersAnswer,
} from "../schemas.js";
import { jobPageView, statsView, workerView } from "../views.js";
import { pageOf } from "./jobs.js";

/** What the monitoring routes need. */
export interface MonitoringRoutesDeps {
  client: Client;
  workerTtlMs: number;
  /** Dates the health reports, to reuse one for HEALTH_REUSE_MS. */
  clock: Clock;
}

type FailedRetry = { rq_job_id: string } | { job_id: string } | { all: true; queue?: string };

interface FailedQuery {
  queue?: string;
  limit?: string;
  cursor?: string;
}

const tags = ["monitoring"];
// Anyone may ask for the health status; only a token (or a dashboard session) sees its reasons,
// which name queues and their backlog.
const healthRoute: AuthRouteConfig = { public: true, resolveAccess: true };

/** Registers the monitoring routes. */
export function registerMonitoringRoutes(app: FastifyInstance, deps: MonitoringRoutesDeps): void {
  registerHealthRoute(app, deps);
  registerQueueRoutes(app, deps);
  registerFailedRoutes(app, deps.client);
}

// The health route needs no token (load balancers call it), so callers share its store work:
// requests during a check wait for that check, and a report is reused for this long.
const HEALTH_REUSE_MS = 1000;

function registerHealthRoute(app: FastifyInstance, { client, workerTtlMs, clock }: MonitoringRoutesDeps): void {
  let current: { report: Promise<HealthReport>; at: number } | null = null;
  const health = (): Promise<HealthReport> => {
    const now = clock.now();
    // A report dated in the future means the clock was stepped back: it must not live on.
    if (current === null || now - current.at >= HEALTH_REUSE_MS || now < current.at) current = { report: checkHealth(client, workerTtlMs), at: now };
    return current.report;
  };
  app.get(
    "/monitoring/health",
    {
      config: healthRoute,
      schema: {
        tags,
        summary: "Health: ok, degraded or down (503); the only route without a token, which answers the status alone (a token adds the reasons)",
        // Optional auth: anonymous callers get the status, token holders the details too.
        security: [{}, { bearer: [] }],
        response: { 200: healthAnswer, 503: healthAnswer },
      },
    },
    async (request, reply) => {
      const report = await health();
      const answer = grantedAccess(request) === "none" ? { status: report.status } : report;
      return reply.code(report.status === "down" ? 503 : 200).send(answer);
    },
  );
}

function registerQueueRoutes(app: FastifyInstance, { client, workerTtlMs }: MonitoringRoutesDeps): void {
  app.get(
    "/monitoring/queue/stats",
    { schema: { tags, summary: "Per queue: counts by status, oldest waiting age, last-minute throughput", response: { 200: statsAnswer, "4xx": errorRef } } },
    async () => ({ queues: (await client.stats()).map(statsView) }),
  );

  app.get(
    "/monitoring/queue/workers",
    { schema: { tags, summary: "Live workers", response: { 200: workersAnswer, "4xx": errorRef } } },
    async () => ({ workers: (await client.workers(workerTtlMs)).map(workerView) }),
  );
}

function registerFailedRoutes(app: FastifyInstance, client: Client): void {
  app.get<{ Querystring: FailedQuery }>(
    "/monitoring/queue/failed",
    { schema: { tags, summary: "Failed jobs, newest first, with error code and message", querystring: failedQuery, response: { 200: jobPage, "4xx": errorRef } } },
    async (request) => {
      const filter = { status: "FAILED" as const, ...(request.query.queue === undefined ? {} : { queue: request.query.queue }) };
      const page = await client.listJobs(filter, pageOf(request.query));
      return jobPageView(page);
    },
  );

  app.post<{ Body: FailedRetry }>(
    "/monitoring/queue/failed",
    {
      schema: {
        tags,
        summary: 'Retry one failed job ({"rq_job_id"} or {"job_id"}) or all of them ({"all": true, "queue"?})',
        body: failedRetryBody,
        response: { 200: failedRetryAnswer, "4xx": errorRef },
      },
    },
    async (request) => {
      const body = request.body;
      if ("all" in body) return { retried: await client.retryAllFailed(body.queue ?? null) };
      const job = await client.retry("rq_job_id" in body ? body.rq_job_id : body.job_id);
      return { job_id: job.id, status: job.status, retried: 1 };
    },
  );
}
