// Behind a TLS-terminating proxy: with the trusted-proxy setting the session cookie is Secure
// when the client came over https, and throttles count the forwarded client address; without
// it, X-Forwarded-* headers are ignored (any client could write them).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FULL, FULL_TOKEN, createTestServer, type TestServer } from "../../test/support/server.js";
import { parseConfig } from "../core/config.js";
import { parseTrustProxy } from "../core/trusted-proxies.js";
import type { AppDeps } from "./app.js";
import { AUTH_FAILURES_ALLOWED } from "./auth-throttle.js";

const root = mkdtempSync(join(tmpdir(), "caudex-proxy-dashboard-"));
writeFileSync(join(root, "index.html"), "<!doctype html><title>x</title>");
const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function serverWith(trustProxy: AppDeps["trustProxy"]): Promise<TestServer> {
  const server = await createTestServer({ deps: { dashboard: { root }, ...(trustProxy === undefined ? {} : { trustProxy }) } });
  servers.push(server);
  return server;
}

const PROXY = "10.0.0.5";
const signIn = (server: TestServer, headers: Record<string, string>, remoteAddress = PROXY) =>
  server.app.inject({ method: "POST", url: "/dashboard/session", payload: { token: FULL_TOKEN }, headers, remoteAddress });
// A wrong token after the guesses: refused, and it takes the second's one check (decision 0020).
const WRONG = { authorization: "Bearer one-more-guess-0123456789" };
const guesses = async (server: TestServer, headers: (i: number) => Record<string, string>, remoteAddress = PROXY): Promise<void> => {
  for (let i = 0; i < AUTH_FAILURES_ALLOWED; i++) {
    await server.app.inject({ url: "/jobs", headers: { authorization: `Bearer guess-${i}-0123456789abcdef`, ...headers(i) }, remoteAddress });
  }
};

describe("without a trusted proxy (the default)", () => {
  it("ignores X-Forwarded-Proto: the cookie is not Secure over plain http", async () => {
    const server = await serverWith(undefined);
    const res = await signIn(server, { "x-forwarded-proto": "https" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["set-cookie"]).not.toMatch(/Secure/);
  });

  it("ignores X-Forwarded-For: a guesser cannot get a new budget by writing a new address", async () => {
    const server = await serverWith(undefined);
    await guesses(server, (i) => ({ "x-forwarded-for": `192.0.2.${i}` }));
    const res = await server.app.inject({ url: "/jobs", headers: { ...WRONG, "x-forwarded-for": "192.0.2.200" }, remoteAddress: PROXY });
    expect(res.statusCode).toBe(429);
  });
});

describe("with a trusted proxy", () => {
  it("sets Secure on the session cookie, and on its clearing, when the proxy says the client came over https", async () => {
    const server = await serverWith([PROXY]);
    const res = await signIn(server, { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" });
    expect(res.headers["set-cookie"]).toMatch(/; Secure$/);
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    const csrf = res.json<{ csrf_token: string }>().csrf_token;
    const out = await server.app.inject({ method: "DELETE", url: "/dashboard/session", headers: { cookie, "x-csrf-token": csrf, "x-forwarded-proto": "https" }, remoteAddress: PROXY });
    expect(out.headers["set-cookie"]).toMatch(/Max-Age=0; Secure$/);
    expect((await signIn(server, { "x-forwarded-proto": "http" })).headers["set-cookie"]).not.toMatch(/Secure/);
  });

  it("throttles the forwarded client address, so one guesser behind the proxy does not block the others", async () => {
    const server = await serverWith(["10.0.0.0/8"]);
    await guesses(server, () => ({ "x-forwarded-for": "198.51.100.1" }));
    const blocked = await server.app.inject({ url: "/jobs", headers: { ...WRONG, "x-forwarded-for": "198.51.100.1" }, remoteAddress: PROXY });
    expect(blocked.statusCode).toBe(429);
    // The sign-in form counts the same address (this second's one check is taken).
    expect((await signIn(server, { "x-forwarded-for": "198.51.100.1" })).statusCode).toBe(429);
    expect((await server.app.inject({ url: "/jobs", headers: { ...FULL, "x-forwarded-for": "198.51.100.2" }, remoteAddress: PROXY })).statusCode).toBe(200);
    expect((await signIn(server, { "x-forwarded-for": "198.51.100.2" })).statusCode).toBe(200);
  });

  it("still ignores the headers of a peer that is not a trusted proxy", async () => {
    const server = await serverWith([PROXY]);
    const res = await signIn(server, { "x-forwarded-proto": "https" }, "203.0.113.9");
    expect(res.headers["set-cookie"]).not.toMatch(/Secure/);
    await guesses(server, (i) => ({ "x-forwarded-for": `192.0.2.${i}` }), "203.0.113.9");
    expect((await server.app.inject({ url: "/jobs", headers: WRONG, remoteAddress: "203.0.113.9" })).statusCode).toBe(429);
  });
});

describe("the trusted-proxy setting", () => {
  it("parses off, any, and lists of addresses, CIDRs and range names", () => {
    expect(parseTrustProxy("")).toEqual({ value: false });
    expect(parseTrustProxy("false")).toEqual({ value: false });
    expect(parseTrustProxy("TRUE")).toEqual({ value: true });
    expect(parseTrustProxy("10.0.0.0/8, loopback,::1,fd00::/8")).toEqual({ value: ["10.0.0.0/8", "loopback", "::1", "fd00::/8"] });
    expect(parseConfig({}).trustProxy).toBe(false);
  });

  it("stops at start with CONFIG_INVALID for anything else, naming the variable", () => {
    for (const bad of ["yes", "10.0.0.0/33", "10.0.0.1/8/1", "proxy.internal", "2"]) expect(parseTrustProxy(bad), bad).toHaveProperty("problem");
    expect(() => parseConfig({ trustProxy: "proxy.internal" }, { trustProxy: "CAUDEX_TRUST_PROXY" })).toThrow(/CAUDEX_TRUST_PROXY must be false, true, or proxy addresses/);
  });
});
