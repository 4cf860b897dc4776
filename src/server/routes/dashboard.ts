// The dashboard under /dashboard: its pages and assets, sign-in and sign-out (a session cookie
// plus a CSRF token), and the last hour's throughput for its chart. Everything else the
// dashboard shows comes from the regular API, which accepts the session cookie.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Client } from "../../core/client.js";
import type { Clock } from "../../core/clock.js";
import type { AuthRouteConfig } from "../auth.js";
import { throttledAnswer, type AuthThrottle } from "../auth-throttle.js";
import { DASHBOARD_HEADERS, loadDashboardAssets } from "../dashboard-assets.js";
import { sendError } from "../error-handler.js";
import { SESSION_COOKIE, SESSION_TTL_MS, type DashboardSessions, type Session } from "../session.js";
import { throughputSince, throughputView } from "../throughput.js";
import { errorRef } from "../schemas.js";

/** What the dashboard routes need. */
export interface DashboardRoutesDeps {
  client: Client;
  /** Directory of the built dashboard (index.html, style.css, *.js). */
  root: string;
  sessions: DashboardSessions;
  /** The app's throttle of wrong tokens: sign-in counts its failures there too. */
  throttle: AuthThrottle;
  /** What time it is for the throughput chart. */
  clock: Clock;
}

const publicRoute: AuthRouteConfig = { public: true };
const tags = ["dashboard"];

// One shape for the probe and sign-in: `signed_in` says whether the other fields are there.
const sessionAnswer = {
  type: "object",
  required: ["signed_in", "auth_required"],
  additionalProperties: false,
  properties: {
    signed_in: { type: "boolean", description: "Whether this browser has a session; always true when the server needs no token" },
    access: { type: "string", enum: ["read", "full"], description: "When signed in" },
    csrf_token: { type: "string", description: "When signed in; send it in the x-csrf-token header of every action" },
    expires_at: { type: ["string", "null"], format: "date-time", description: "When signed in" },
    auth_required: { type: "boolean" },
  },
} as const;

const signInBody = {
  type: "object",
  required: ["token"],
  additionalProperties: false,
  properties: { token: { type: "string", minLength: 1, maxLength: 1024 } },
} as const;

const throughputAnswer = {
  type: "object",
  additionalProperties: false,
  required: ["bucket_seconds", "since", "queues"],
  properties: {
    bucket_seconds: { type: "integer" },
    since: { type: "string", format: "date-time" },
    queues: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["completed", "failed"],
        properties: { completed: { type: "array", items: { type: "integer" } }, failed: { type: "array", items: { type: "integer" } } },
      },
    },
  },
} as const;

function cookieHeader(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  // Secure only over https: a plain-http loopback server must still be able to sign in.
  const secure = request.protocol === "https" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function sessionBody(session: Session): Record<string, unknown> {
  return { signed_in: true, access: session.access, csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString(), auth_required: true };
}

function registerPages(app: FastifyInstance, root: string): void {
  const assets = loadDashboardAssets(root);
  const send = (reply: FastifyReply, path: string): FastifyReply => {
    const asset = assets.get(path);
    if (asset === undefined) {
      const hint = path === "index.html" ? "; the dashboard is not built (npm run build)" : "";
      return sendError(reply, "NOT_FOUND", `No dashboard file ${path}${hint}`);
    }
    return reply.headers(DASHBOARD_HEADERS).type(asset.type).send(asset.body);
  };
  const page = { config: publicRoute, schema: { hide: true } };
  app.get("/dashboard", page, async (_request, reply) => reply.redirect("/dashboard/"));
  app.get("/dashboard/", page, async (_request, reply) => send(reply, "index.html"));
  app.get("/dashboard/*", page, async (request, reply) => send(reply, (request.params as { "*": string })["*"]));
}

function registerSessionRoutes(app: FastifyInstance, sessions: DashboardSessions, throttle: AuthThrottle): void {
  app.get(
    "/dashboard/session",
    { config: publicRoute, schema: { tags, summary: "The dashboard session of this browser (signed_in: false without one)", security: [], response: { 200: sessionAnswer, "4xx": errorRef } } },
    async (request) => {
      if (sessions.open) return { signed_in: true, access: "full", csrf_token: "", expires_at: null, auth_required: false };
      // The page asks this before anything else: without a session the answer is still a 200,
      // so a signed-out page logs no failed request. Every other route keeps its 401.
      const session = await sessions.sessionOf(request);
      return session === null ? { signed_in: false, auth_required: true } : sessionBody(session);
    },
  );
  app.post(
    "/dashboard/session",
    { config: publicRoute, schema: { tags, summary: "Sign in with a token: sets the HttpOnly session cookie", security: [], body: signInBody, response: { 200: sessionAnswer, "4xx": errorRef } } },
    async (request, reply) => {
      // One throttle with every API route: while the address is blocked for wrong tokens, one
      // token a second is checked here as there (decision 0020), so the right one still signs
      // in and guesses crawl. A session signed in before keeps working meanwhile.
      const token = (request.body as { token: string }).token;
      const attempt: { signedIn: ReturnType<typeof sessions.signIn> } = { signedIn: null };
      const checked = throttle.check(request.ip, token, (typed) => ((attempt.signedIn = sessions.signIn(typed)) === null ? "none" : "signed"));
      const { signedIn } = attempt;
      if ("blockedForMs" in checked) {
        const { retryAfterSeconds, message } = throttledAnswer(checked.blockedForMs);
        return sendError(reply.header("retry-after", String(retryAfterSeconds)), "RATE_LIMITED", message);
      }
      if (signedIn === null) return sendError(reply, "UNAUTHORIZED", "That token is not valid here");
      reply.header("set-cookie", cookieHeader(request, signedIn.cookie, Math.floor(SESSION_TTL_MS / 1000)));
      return sessionBody(signedIn.session);
    },
  );
  app.delete(
    "/dashboard/session",
    { config: publicRoute, schema: { tags, summary: "Sign out: ends the session and clears its cookie", security: [], response: { 204: { type: "null", description: "Signed out" }, "4xx": errorRef } } },
    async (request, reply) => {
      const session = await sessions.sessionOf(request);
      if (session !== null) {
        if (!sessions.csrfValid(request, session)) return sendError(reply, "CSRF_REJECTED", "Signing out needs the session's CSRF token");
        // Kept in the store: the cookie stays refused after a restart and by every other server.
        await sessions.revoke(session);
      }
      return reply.header("set-cookie", cookieHeader(request, "", 0)).code(204).send();
    },
  );
}

/** Registers the dashboard's pages, session routes and throughput chart data. */
export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardRoutesDeps): void {
  registerPages(app, deps.root);
  registerSessionRoutes(app, deps.sessions, deps.throttle);
  app.get(
    "/dashboard/api/throughput",
    { schema: { tags, summary: "Jobs completed and failed per minute over the last hour, per queue", response: { 200: throughputAnswer, "4xx": errorRef } } },
    async () => {
      const now = deps.clock.now();
      return throughputView(await deps.client.finishesPerMinute(throughputSince(now)), now);
    },
  );
}
