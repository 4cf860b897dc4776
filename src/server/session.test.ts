// Dashboard sessions: signed cookies, their CSRF tokens, expiry, revocation and token rotation.
import { describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { DashboardSessions, MemoryRevocations, SESSION_TTL_MS, cookieValue } from "./session.js";

const tokens = { token: "full-token-0123456789", readonlyToken: "read-token-0123456789" };

describe("DashboardSessions", () => {
  it("signs in with either token and refuses any other", () => {
    const sessions = new DashboardSessions(tokens);
    expect(sessions.signIn("full-token-0123456789")?.session.access).toBe("full");
    expect(sessions.signIn("read-token-0123456789")?.session.access).toBe("read");
    expect(sessions.signIn("guess")).toBeNull();
    expect(sessions.signIn("")).toBeNull();
  });

  it("verifies its own cookies and rejects forged or altered ones", () => {
    const sessions = new DashboardSessions(tokens);
    const { cookie, session } = sessions.signIn("read-token-0123456789")!;
    expect(sessions.verify(cookie)).toEqual(session);
    expect(sessions.verify(cookie.replace("v1.r.", "v1.f."))).toBeNull();
    expect(sessions.verify(`${cookie}x`)).toBeNull();
    expect(sessions.verify("v1.f.zzzzzz.nonce.mac")).toBeNull();
    expect(new DashboardSessions({ ...tokens, token: "rotated-token-0123456789" }).verify(cookie)).toBeNull();
  });

  it("keeps sessions valid across instances with the same tokens, until they expire", () => {
    let now = 1_000_000;
    const { cookie } = new DashboardSessions(tokens, () => now).signIn("full-token-0123456789")!;
    const restarted = new DashboardSessions(tokens, () => now);
    expect(restarted.verify(cookie)?.access).toBe("full");
    now += SESSION_TTL_MS;
    expect(restarted.verify(cookie)).toBeNull();
  });

  it("derives a CSRF token per session and revokes a session on sign-out, for every instance sharing the revocations", async () => {
    const revocations = new MemoryRevocations();
    const sessions = new DashboardSessions(tokens, Date.now, revocations);
    const a = sessions.signIn("full-token-0123456789")!;
    const b = sessions.signIn("full-token-0123456789")!;
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    await sessions.revoke(a.session);
    const request = (cookie: string) => ({ headers: { cookie: `caudex_session=${cookie}` } }) as unknown as FastifyRequest;
    const restarted = new DashboardSessions(tokens, Date.now, revocations);
    expect(await restarted.sessionOf(request(a.cookie))).toBeNull();
    expect(await restarted.sessionOf(request(b.cookie))).not.toBeNull();
    // Kept past the cookie's own expiry, so a store clock running behind cannot reopen it.
    expect(await revocations.isSessionRevoked(a.session.nonce)).toBe(true);
  });

  it("reads one cookie out of a Cookie header", () => {
    expect(cookieValue("a=1; caudex_session=v1.x; b=2", "caudex_session")).toBe("v1.x");
    expect(cookieValue(undefined, "caudex_session")).toBeNull();
  });
});
