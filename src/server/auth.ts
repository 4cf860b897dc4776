// Bearer-token access control: the full token may do everything, the read-only token only
// reads (GET/HEAD), the worker token only runs the worker protocol (routes marked
// workerProtocol). Tokens are compared as SHA-256 digests with timingSafeEqual, so neither
// the content nor the length of a token leaks through response times.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { throttledAnswer, type AuthThrottle } from "./auth-throttle.js";
import { sendError } from "./error-handler.js";

/** The tokens a server accepts; a null full token disables authentication entirely. */
export interface AuthTokens {
  token: string | null;
  readonlyToken: string | null;
  /** Token of workers over HTTP: the worker protocol's routes and nothing else; null means none. */
  workerToken?: string | null;
  /** Queues the worker token may claim from; null or absent means any. */
  workerQueues?: readonly string[] | null;
}

/** What a request may do. */
export type Access = "none" | "read" | "worker" | "full";

const READ_METHODS = new Set(["GET", "HEAD"]);

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Resolves the access an Authorization header grants. */
export function accessOf(header: string | undefined, tokens: AuthTokens): Access {
  if (tokens.token === null) return "full";
  const match = /^Bearer ([^\s]+)\s*$/i.exec(header ?? "");
  if (match === null) return "none";
  const given = digest(match[1] as string);
  // Every comparison always runs, so timing does not tell which token (if any) matched.
  const full = timingSafeEqual(given, digest(tokens.token));
  const read = tokens.readonlyToken !== null && timingSafeEqual(given, digest(tokens.readonlyToken));
  const worker = tokens.workerToken !== undefined && tokens.workerToken !== null && timingSafeEqual(given, digest(tokens.workerToken));
  return full ? "full" : read ? "read" : worker ? "worker" : "none";
}

/** Route config flags: `{ config: { public: true } }` skips authentication. */
export interface AuthRouteConfig {
  public?: boolean;
  /**
   * With `public`: the caller's access is still resolved (never refused), so the route can
   * answer a token holder more than an anonymous caller; read it with grantedAccess().
   */
  resolveAccess?: boolean;
  /** A route of the worker protocol: the worker token may call it (and no other route). */
  workerProtocol?: boolean;
}

// Access resolved for requests of `resolveAccess` routes; a WeakMap, so it ends with the request.
const resolvedAccess = new WeakMap<FastifyRequest, Access>();

/** The access resolved for a request of a `resolveAccess` route; "none" for any other request. */
export function grantedAccess(request: FastifyRequest): Access {
  return resolvedAccess.get(request) ?? "none";
}

/** Access from a dashboard session cookie: null without one; csrfValid says if its CSRF header matches, id names the session. */
export type SessionResolver = (request: FastifyRequest) => Promise<{ access: Access; csrfValid: boolean; id: string } | null>;

/** What let a request in: its access (from a token or a dashboard session) and the session's id, if a session. */
export interface Grant {
  access: "full" | "read" | "worker";
  /** The dashboard session's id; empty for a bearer token. */
  sessionId: string;
}

// Grants of the requests let in by the hook below; a WeakMap, so each ends with its request.
const grants = new WeakMap<FastifyRequest, Grant>();

/** The credential that let a request of a non-public route in; null for public routes and refused requests. */
export function grantOf(request: FastifyRequest): Grant | null {
  return grants.get(request) ?? null;
}

/**
 * Adds the onRequest hook that enforces the 401/403 rules on every non-public route. Without an
 * Authorization header, a valid session cookie (when `sessions` is given) grants its access, and
 * its writes need the session's CSRF token (403 CSRF_REJECTED otherwise). With a `throttle`, a
 * token from an address blocked for guessing is not checked: 429 RATE_LIMITED (and "none" on
 * resolveAccess routes); session cookies are not throttled (decision 0020).
 */
export function installAuth(app: FastifyInstance, tokens: AuthTokens, sessions?: SessionResolver, throttle?: AuthThrottle): void {
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config as AuthRouteConfig | undefined;
    if (config?.public === true && config.resolveAccess !== true) return;
    const header = request.headers.authorization;
    const session = header === undefined && tokens.token !== null ? ((await sessions?.(request)) ?? null) : null;
    const checked =
      session !== null || header === undefined || throttle === undefined
        ? { access: session?.access ?? accessOf(header, tokens) }
        : throttle.check(request.ip, header, (h) => accessOf(h, tokens));
    if (config?.public === true) {
      const resolved = "access" in checked ? checked.access : "none";
      // The worker token sees of a public route what an anonymous caller sees.
      resolvedAccess.set(request, resolved === "worker" ? "none" : resolved);
      return;
    }
    if (!("access" in checked)) {
      const { retryAfterSeconds, message } = throttledAnswer(checked.blockedForMs);
      return sendError(reply.header("retry-after", String(retryAfterSeconds)), "RATE_LIMITED", message);
    }
    if (session !== null && !session.csrfValid && !READ_METHODS.has(request.method)) {
      return sendError(reply, "CSRF_REJECTED", "This action needs the session's CSRF token in the x-csrf-token header");
    }
    const access = checked.access;
    if (access === "none") {
      return sendError(reply.header("www-authenticate", 'Bearer realm="caudex"'), "UNAUTHORIZED", "A valid bearer token is required");
    }
    if (access === "read" && !READ_METHODS.has(request.method)) {
      return sendError(reply, "FORBIDDEN", "The read-only token allows GET requests only");
    }
    if (access === "worker" && config?.workerProtocol !== true) {
      return sendError(reply, "FORBIDDEN", "The worker token may only run the worker protocol (POST /worker/...)");
    }
    grants.set(request, { access, sessionId: session?.id ?? "" });
  });
}
