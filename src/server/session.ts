// Dashboard sign-in sessions: a signed cookie (HMAC keyed by the server's tokens) that maps to
// full or read-only access, and the per-session CSRF token every state-changing request sends.
// The cookie carries the session, so sessions survive a restart and work behind several servers;
// sign-out is recorded in the store (through the client), so it holds for every server too.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { accessOf, type Access, type AuthTokens } from "./auth.js";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "caudex_session";
/** Header that carries the CSRF token of a cookie session. */
export const CSRF_HEADER = "x-csrf-token";

/** Lifetime of a session; after it the operator signs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * How long a revocation outlives its session's expiry: the store's clock (Redis's) may run
 * behind this server's, and a revocation that ended first would let the cookie work again.
 */
export const REVOCATION_SKEW_MS = 5 * 60 * 1000;

/** Where sign-outs are kept until their sessions expire: the store, through the Client. */
export interface SessionRevocations {
  revokeSession(sessionId: string, expiresAt: number): Promise<void>;
  isSessionRevoked(sessionId: string): Promise<boolean>;
}

/** Revocations in this process's memory only (library use and tests without a store). */
export class MemoryRevocations implements SessionRevocations {
  private readonly revoked = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    const now = this.now();
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
    this.revoked.set(sessionId, expiresAt);
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    return (this.revoked.get(sessionId) ?? 0) > this.now();
  }
}

/** A valid session, as read from its cookie. */
export interface Session {
  access: Exclude<Access, "none" | "worker">;
  csrfToken: string;
  expiresAt: number;
  nonce: string;
}

/** What a cookie grants a request: its access, whether the CSRF header matches, and the session's id (its nonce). */
export interface SessionGrant {
  access: Exclude<Access, "none" | "worker">;
  csrfValid: boolean;
  id: string;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Reads one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Issues and verifies dashboard sessions for one pair of tokens. */
export class DashboardSessions {
  private readonly key: Buffer | null;
  // Sign-out revokes the nonce here; the cookie is cleared in the browser as well.
  private readonly revocations: SessionRevocations;

  constructor(
    private readonly tokens: AuthTokens,
    private readonly now: () => number = Date.now,
    revocations?: SessionRevocations,
  ) {
    this.revocations = revocations ?? new MemoryRevocations(now);
    // Keyed by both tokens: rotating either one ends every session signed with the old pair.
    this.key =
      tokens.token === null
        ? null
        : createHash("sha256").update(`caudex-dashboard-session\0${tokens.token}\0${tokens.readonlyToken ?? ""}`).digest();
  }

  /** True when the server runs without authentication (every request has full access). */
  get open(): boolean {
    return this.key === null;
  }

  /** Checks a typed token and returns a new session with its cookie value, or null. */
  signIn(token: string): { session: Session; cookie: string } | null {
    if (this.key === null || token.length === 0 || token.length > 1024) return null;
    const access = accessOf(`Bearer ${token}`, this.tokens);
    // The worker token runs jobs; it never signs in to the dashboard.
    if (access === "none" || access === "worker") return null;
    const nonce = randomBytes(18).toString("base64url");
    const expiresAt = this.now() + SESSION_TTL_MS;
    const body = `v1.${access === "full" ? "f" : "r"}.${expiresAt.toString(36)}.${nonce}`;
    const cookie = `${body}.${this.mac(body)}`;
    return { session: { access, csrfToken: this.mac(`csrf.${nonce}`), expiresAt, nonce }, cookie };
  }

  /** Verifies a cookie value's signature and expiry (not its revocation); null when it is forged, expired or malformed. */
  verify(cookie: string | null): Session | null {
    if (this.key === null || cookie === null) return null;
    const parts = cookie.split(".");
    if (parts.length !== 5 || parts[0] !== "v1") return null;
    const [, kind, expires, nonce, mac] = parts as [string, string, string, string, string];
    if (!safeEqual(mac, this.mac(parts.slice(0, 4).join(".")))) return null;
    const expiresAt = parseInt(expires, 36);
    if (!(expiresAt > this.now())) return null;
    if (kind !== "f" && kind !== "r") return null;
    return { access: kind === "f" ? "full" : "read", csrfToken: this.mac(`csrf.${nonce}`), expiresAt, nonce };
  }

  /** The session of a request's cookie, if any and not signed out; rejects when the store cannot tell (STORE_UNAVAILABLE). */
  async sessionOf(request: FastifyRequest): Promise<Session | null> {
    const session = this.verify(cookieValue(request.headers.cookie, SESSION_COOKIE));
    // Only a genuine, unexpired cookie costs a store read: forged ones never reach the store.
    if (session === null || (await this.revocations.isSessionRevoked(session.nonce))) return null;
    return session;
  }

  /** Access granted by a request's session cookie, or null without a valid one. */
  async grantOf(request: FastifyRequest): Promise<SessionGrant | null> {
    const session = await this.sessionOf(request);
    if (session === null) return null;
    return { access: session.access, csrfValid: this.csrfValid(request, session), id: session.nonce };
  }

  /** Ends a session before its expiry, for every server on the store; kept until the cookie has expired. */
  async revoke(session: Session): Promise<void> {
    await this.revocations.revokeSession(session.nonce, session.expiresAt + REVOCATION_SKEW_MS);
  }

  /** The CSRF token a request's header carries matches `session`'s. */
  csrfValid(request: FastifyRequest, session: Session): boolean {
    const header = request.headers[CSRF_HEADER];
    const given = Array.isArray(header) ? header[0] : header;
    return given !== undefined && safeEqual(given, session.csrfToken);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key ?? Buffer.alloc(32)).update(text).digest("base64url");
  }
}
