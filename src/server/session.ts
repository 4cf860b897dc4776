// Dashboard sign-in sessions: a signed cookie (HMAC keyed by the server's tokens) that maps to
// full or read-only access, and the per-session CSRF token every state-changing request sends.
// Sessions need no server state, so they survive a restart and work behind several servers.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { accessOf, type Access, type AuthTokens } from "./auth.js";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "caudex_session";
/** Header that carries the CSRF token of a cookie session. */
export const CSRF_HEADER = "x-csrf-token";

/** Lifetime of a session; after it the operator signs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** A valid session, as read from its cookie. */
export interface Session {
  access: Exclude<Access, "none">;
  csrfToken: string;
  expiresAt: number;
  nonce: string;
}

/** What a cookie grants a request: its access, whether the CSRF header matches, and the session's id (its nonce). */
export interface SessionGrant {
  access: Exclude<Access, "none">;
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
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly tokens: AuthTokens,
    private readonly now: () => number = Date.now,
  ) {
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
    if (access === "none") return null;
    const nonce = randomBytes(18).toString("base64url");
    const expiresAt = this.now() + SESSION_TTL_MS;
    const body = `v1.${access === "full" ? "f" : "r"}.${expiresAt.toString(36)}.${nonce}`;
    const cookie = `${body}.${this.mac(body)}`;
    return { session: { access, csrfToken: this.mac(`csrf.${nonce}`), expiresAt, nonce }, cookie };
  }

  /** Verifies a cookie value; null when it is forged, expired, revoked or malformed. */
  verify(cookie: string | null): Session | null {
    if (this.key === null || cookie === null) return null;
    const parts = cookie.split(".");
    if (parts.length !== 5 || parts[0] !== "v1") return null;
    const [, kind, expires, nonce, mac] = parts as [string, string, string, string, string];
    if (!safeEqual(mac, this.mac(parts.slice(0, 4).join(".")))) return null;
    const expiresAt = parseInt(expires, 36);
    if (!(expiresAt > this.now()) || this.revoked.has(nonce)) return null;
    if (kind !== "f" && kind !== "r") return null;
    return { access: kind === "f" ? "full" : "read", csrfToken: this.mac(`csrf.${nonce}`), expiresAt, nonce };
  }

  /** The session of a request's cookie, if any. */
  sessionOf(request: FastifyRequest): Session | null {
    return this.verify(cookieValue(request.headers.cookie, SESSION_COOKIE));
  }

  /** Access granted by a request's session cookie, or null without a valid one. */
  grantOf(request: FastifyRequest): SessionGrant | null {
    const session = this.sessionOf(request);
    if (session === null) return null;
    const header = request.headers[CSRF_HEADER];
    const given = Array.isArray(header) ? header[0] : header;
    return { access: session.access, csrfValid: given !== undefined && safeEqual(given, session.csrfToken), id: session.nonce };
  }

  /** Ends a session before its expiry. */
  revoke(session: Session): void {
    const now = this.now();
    for (const [nonce, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(nonce);
    this.revoked.set(session.nonce, session.expiresAt);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key ?? Buffer.alloc(32)).update(text).digest("base64url");
  }
}
