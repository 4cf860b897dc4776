// Builds the HTTP API as a Fastify instance: JSON parsing with size and depth limits, auth,
// the error handler, every route, and the OpenAPI document. Listening is the caller's job
// (the CLI), so tests drive the same app through inject() or a port of their choosing.
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { documentRoute } from "./openapi-conventions.js";
import Fastify, { type FastifyInstance } from "fastify";
import type { Client } from "../core/client.js";
import { systemClock, type Clock } from "../core/clock.js";
import { silentLogger, type Logger } from "../core/logger.js";
import { asLogger, type PinoLikeLogger } from "../core/pino-logger.js";
import { LIVE_WORKER_WINDOW_MS } from "../core/worker-registry.js";
import { installAuth, type AuthTokens } from "./auth.js";
import { AuthThrottle } from "./auth-throttle.js";
import { answerFrameworkError, installErrorHandler } from "./error-handler.js";
import { installJsonParser } from "./json-body.js";
import { registerDashboardRoutes } from "./routes/dashboard.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerExplainRoutes } from "./routes/explain.js";
import { registerFlowRoutes } from "./routes/flows.js";
import { registerJobRoutes } from "./routes/jobs.js";
import { registerLimitRoutes } from "./routes/limits.js";
import { registerMetricsRoutes } from "./routes/metrics.js";
import { registerMonitoringRoutes } from "./routes/monitoring.js";
import { registerQueueRoutes } from "./routes/queues.js";
import { registerScheduleRoutes } from "./routes/schedules.js";
import { registerWorkerProtocolRoutes } from "./routes/worker-protocol.js";
import { flowJobSchema } from "./flow-schemas.js";
import { scheduleSchema } from "./schedule-schemas.js";
import { errorSchema, jobSchema } from "./schemas.js";
import { DashboardSessions } from "./session.js";

/** Everything the HTTP API needs; the composition root (the CLI) supplies it. */
export interface AppDeps {
  /** The one way to the store; when it knows the tasks, POST /jobs checks names and payloads (400, nothing stored). */
  client: Client;
  /** A null full token means no authentication (the CLI allows that only on loopback). */
  auth: AuthTokens;
  logger?: Logger | PinoLikeLogger;
  /** Live-worker window for /monitoring/queue/workers and health (default 30000). */
  workerTtlMs?: number;
  /** Largest request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Serves the dashboard under /dashboard from this directory of built assets (DASHBOARD_ROOT). */
  dashboard?: { root: string } | null;
  /** Interval of SSE keep-alive comments (default 15000). */
  sseKeepAliveMs?: number;
  /** Most event streams open at once (default 200); each holds a store subscription. */
  maxEventStreams?: number;
  /** Most event streams one caller (its credential and address) holds at once (default a quarter of maxEventStreams, at least 1). */
  maxEventStreamsPerCaller?: number;
  /** /metrics stops counting job events this long after the last scrape (default 10 minutes). */
  metricsIdleMs?: number;
  /** What time it is for health reuse, /metrics idling, the throughput chart and dashboard sessions (default the system clock). */
  clock?: Clock;
  /** Longest time to receive a whole request, headers and body (default 30000); streams after it are not cut. */
  requestTimeoutMs?: number;
  /** Longest time to receive a request's headers (default 10000); at most requestTimeoutMs. */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection waits for its next request (default 5000). */
  keepAliveTimeoutMs?: number;
  /** How often the server looks for requests past their timeouts (default 1000). */
  timeoutCheckIntervalMs?: number;
  /** How long close() lets requests in flight finish before it cuts every connection (default 1000). */
  closeGraceMs?: number;
  /**
   * Which proxies' X-Forwarded-For/-Proto to believe (Fastify's `trustProxy`; default false):
   * true for any peer, or the proxies' addresses/CIDRs. Then the client address (throttles,
   * stream caps) and https (the cookie's Secure flag) come from the proxy's headers.
   */
  trustProxy?: boolean | readonly string[];
}

/** Defaults of the optional dependencies. */
export const APP_DEFAULTS = {
  workerTtlMs: LIVE_WORKER_WINDOW_MS,
  bodyLimitBytes: 1024 * 1024,
  sseKeepAliveMs: 15_000,
  // Each open stream holds a store subscription (on Redis, a connection of its own): the cap
  // keeps token holders from exhausting the store's connections and starving the workers.
  maxEventStreams: 200,
  // Prometheus scrapes every 15-60 s; ten minutes without one means nobody is collecting.
  metricsIdleMs: 10 * 60_000,
  // Deep enough for any sensible payload (the core allows 32 levels inside it), shallow
  // enough that no parser or validator recursion is at risk.
  maxJsonDepth: 64,
  // A client trickling its request (one byte every few seconds) would otherwise hold a socket
  // and a parser forever; 30 s is ample for a 1 MiB body on a slow link.
  requestTimeoutMs: 30_000,
  // Headers are a few hundred bytes: a client still sending them after 10 s is stalling.
  headersTimeoutMs: 10_000,
  // Node's default; Fastify's 72 s kept idle sockets open long after proxies dropped them.
  keepAliveTimeoutMs: 5_000,
  // Node checks the two timeouts above only every 30 s by default, nearly doubling them.
  timeoutCheckIntervalMs: 1_000,
  // Long enough for a request already being answered to finish, short enough that a stop
  // signal ends the process within a couple of seconds even with stalled clients connected.
  closeGraceMs: 1_000,
};

async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Caudex HTTP API",
        version: "1",
        description: "Durable background jobs: enqueue, inspect, retry and cancel jobs; schedule them by cron or interval; monitor queues and workers.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
    // Every operation gets an operationId, its error answers and real descriptions (openapi-conventions.ts).
    transform: documentRoute,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs", uiConfig: { persistAuthorization: true } });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

// Without this, close() waits for every open connection, and a client stalled mid-request
// keeps the process alive until its request timeout (or forever, with none).
function cutConnectionsOnClose(app: FastifyInstance, closeGraceMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook("preClose", async () => {
    timer = setTimeout(() => app.server.closeAllConnections(), closeGraceMs).unref();
  });
  app.addHook("onClose", async () => {
    clearTimeout(timer);
  });
}

/** Builds the HTTP API (routes, auth, docs, metrics); does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const log = asLogger(deps.logger ?? silentLogger);
  const workerTtlMs = deps.workerTtlMs ?? APP_DEFAULTS.workerTtlMs;
  const clock = deps.clock ?? systemClock;
  const requestTimeoutMs = deps.requestTimeoutMs ?? APP_DEFAULTS.requestTimeoutMs;
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimitBytes ?? APP_DEFAULTS.bodyLimitBytes,
    // Node applies both timeouts to receiving a request only: once a request is complete, its
    // response may last (GET /events streams for hours). No idle-socket timeout
    // (connectionTimeout) for the same reason: a quiet event stream is a healthy one.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: deps.keepAliveTimeoutMs ?? APP_DEFAULTS.keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: deps.headersTimeoutMs ?? APP_DEFAULTS.headersTimeoutMs,
      connectionsCheckingInterval: deps.timeoutCheckIntervalMs ?? APP_DEFAULTS.timeoutCheckIntervalMs,
    },
    // close() ends idle keep-alive sockets at once; the rest get closeGraceMs (see below).
    forceCloseConnections: "idle",
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
    // Off by default: X-Forwarded-For is any client's to write unless a proxy we trust sets it.
    trustProxy: typeof deps.trustProxy === "boolean" || deps.trustProxy === undefined ? (deps.trustProxy ?? false) : [...deps.trustProxy],
    // Strict validation: unknown fields are errors, not silently dropped, and nothing is
    // coerced (query strings are matched as strings by their schemas).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
  cutConnectionsOnClose(app, deps.closeGraceMs ?? APP_DEFAULTS.closeGraceMs);
  installJsonParser(app, APP_DEFAULTS.maxJsonDepth);
  installErrorHandler(app, log);
  // Sign-outs live in the store, so they hold after a restart and on every server (decision 0021).
  const sessions = deps.dashboard ? new DashboardSessions(deps.auth, () => clock.now(), deps.client) : null;
  // One throttle of wrong tokens for every route and the dashboard's sign-in (decision 0020).
  const throttle = new AuthThrottle(() => clock.now());
  installAuth(app, deps.auth, sessions === null ? undefined : (request) => sessions.grantOf(request), throttle);
  app.addSchema(errorSchema);
  app.addSchema(jobSchema);
  app.addSchema(scheduleSchema);
  app.addSchema(flowJobSchema);
  await registerOpenApi(app);
  registerJobRoutes(app, { client: deps.client });
  registerExplainRoutes(app, deps.client);
  registerFlowRoutes(app, deps.client);
  registerQueueRoutes(app, deps.client);
  registerScheduleRoutes(app, deps.client);
  registerLimitRoutes(app, deps.client);
  registerMonitoringRoutes(app, { client: deps.client, workerTtlMs, clock });
  registerWorkerProtocolRoutes(app, { client: deps.client, workerQueues: deps.auth.workerQueues ?? null });
  const maxStreams = deps.maxEventStreams ?? APP_DEFAULTS.maxEventStreams;
  registerEventRoutes(app, {
    client: deps.client,
    keepAliveMs: deps.sseKeepAliveMs ?? APP_DEFAULTS.sseKeepAliveMs,
    maxStreams,
    // A quarter: one token holder can no longer take every stream, and the dashboard's
    // sessions and the other token still find room.
    maxStreamsPerCaller: deps.maxEventStreamsPerCaller ?? Math.max(1, Math.floor(maxStreams / 4)),
  });
  registerMetricsRoutes(app, { client: deps.client, workerTtlMs, idleMs: deps.metricsIdleMs ?? APP_DEFAULTS.metricsIdleMs, clock });
  if (deps.dashboard && sessions !== null) registerDashboardRoutes(app, { client: deps.client, root: deps.dashboard.root, sessions, throttle, clock });
  return app;
}
