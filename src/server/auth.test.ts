// The auth table: every route × {no token, wrong token, read-only token, worker token, full token}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL_TOKEN, READ_TOKEN, WORKER_TOKEN, createTestServer, type TestServer } from "../../test/support/server.js";
import { accessOf } from "./auth.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";
const WORKER_DESCRIPTION = { worker: "w-1", incarnation: "incarnation-1", queues: ["nothing-here"], concurrency: 1, host: "h", pid: 1 };
interface Route {
  method: Method;
  url: string;
  body?: object;
  /** Status with a valid token that may do it. */
  ok: number;
  /** A public route's status, the same for every caller. */
  anyone?: number;
  /** A route of the worker protocol: the worker token may call it (403 on every other route). */
  worker?: boolean;
}

const CREDENTIALS = {
  none: undefined,
  wrong: "Bearer not-the-token",
  readonly: `Bearer ${READ_TOKEN}`,
  worker: `Bearer ${WORKER_TOKEN}`,
  full: `Bearer ${FULL_TOKEN}`,
} as const;

describe("auth table", () => {
  let server: TestServer;
  let jobId: string;
  // The dashboard's routes are part of the table; its pages (not in the document) need no build.
  const dashboardRoot = mkdtempSync(join(tmpdir(), "caudex-auth-dashboard-"));
  beforeAll(async () => {
    server = await createTestServer({ deps: { dashboard: { root: dashboardRoot } } });
    jobId = (await server.client.enqueue("echo", null)).id;
    await server.client.schedules.upsert({ id: "tick", task: "echo", every: "1h" });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dashboardRoot, { recursive: true, force: true });
  });

  const routes = (): Route[] => [
    { method: "GET", url: "/jobs", ok: 200 },
    { method: "GET", url: `/jobs/${jobId}`, ok: 200 },
    { method: "GET", url: `/jobs/${jobId}/events`, ok: 200 },
    { method: "GET", url: `/jobs/${jobId}/explain`, ok: 200 },
    { method: "POST", url: "/jobs", body: { task: "echo", payload: null }, ok: 201 },
    // The job is QUEUED: retry is refused (409) but only after auth let it through.
    { method: "POST", url: `/jobs/${jobId}/retry`, ok: 409 },
    { method: "POST", url: "/jobs/job_unknown/cancel", ok: 404 },
    { method: "DELETE", url: "/jobs/job_unknown", ok: 404 },
    { method: "GET", url: `/jobs/${jobId}/tree`, ok: 200 },
    { method: "GET", url: `/jobs/${jobId}/dependencies`, ok: 200 },
    { method: "POST", url: "/flows", body: { task: "echo", payload: null, children: [{ task: "echo", payload: null }] }, ok: 201 },
    { method: "POST", url: "/batches", body: { jobs: [{ task: "echo", payload: null }], callback: { task: "echo", payload: null } }, ok: 201 },
    { method: "GET", url: "/batches/job_unknown", ok: 404 },
    { method: "POST", url: "/queues/default/pause", ok: 200 },
    { method: "POST", url: "/queues/default/resume", ok: 200 },
    { method: "GET", url: "/monitoring/queue/stats", ok: 200 },
    { method: "GET", url: "/monitoring/queue/workers", ok: 200 },
    { method: "GET", url: "/monitoring/queue/failed", ok: 200 },
    { method: "POST", url: "/monitoring/queue/failed", body: { all: true }, ok: 200 },
    { method: "GET", url: "/metrics", ok: 200 },
    { method: "GET", url: "/schedules", ok: 200 },
    { method: "GET", url: "/schedules/tick", ok: 200 },
    { method: "GET", url: "/schedules/tick/next?count=2", ok: 200 },
    // The schedule exists, so a full token's upsert is "unchanged" (200), never a new one.
    { method: "PUT", url: "/schedules/tick", body: { task: "echo", every: "1h" }, ok: 200 },
    { method: "POST", url: "/schedules/tick/pause", ok: 200 },
    { method: "POST", url: "/schedules/tick/resume", ok: 200 },
    { method: "POST", url: "/schedules/tick/trigger", ok: 201 },
    { method: "DELETE", url: "/schedules/schedule_unknown", ok: 404 },
    { method: "GET", url: "/limits", ok: 200 },
    { method: "GET", url: "/limits/per-project/42", ok: 200 },
    { method: "PUT", url: "/limits/per-project/42", body: { concurrency: 2 }, ok: 200 },
    { method: "PUT", url: "/limits/per-project", body: { concurrency: 5 }, ok: 200 },
    { method: "DELETE", url: "/limits/per-project/42", ok: 204 },
    { method: "DELETE", url: "/limits/per-project", ok: 204 },
    // A stream never ends under inject(); an invalid query shows auth passed without opening one.
    { method: "GET", url: "/events?unknown=1", ok: 400 },
    { method: "GET", url: "/openapi.json", ok: 200 },
    { method: "GET", url: "/docs", ok: 200 },
    { method: "GET", url: "/no/such/route", ok: 404 },
    // The dashboard's session probe answers every caller 200 (signed_in: false without a session
    // cookie), so a signed-out page logs no failed request; sign-in and sign-out are public too.
    { method: "GET", url: "/dashboard/session", ok: 200, anyone: 200 },
    { method: "POST", url: "/dashboard/session", body: { token: FULL_TOKEN }, ok: 200, anyone: 200 },
    { method: "DELETE", url: "/dashboard/session", ok: 204, anyone: 204 },
    { method: "GET", url: "/dashboard/api/throughput", ok: 200 },
    { method: "POST", url: "/worker/register", body: WORKER_DESCRIPTION, ok: 200, worker: true },
    { method: "POST", url: "/worker/claim", body: { worker: "w-1", incarnation: "incarnation-1", queues: ["nothing-here"], wait_ms: 0 }, ok: 200, worker: true },
    { method: "POST", url: "/worker/heartbeat", body: { ...WORKER_DESCRIPTION, leases: [] }, ok: 200, worker: true },
    { method: "POST", url: "/worker/unregister", body: { worker: "w-1", incarnation: "incarnation-1" }, ok: 200, worker: true },
    // No such lease: refused (409 LEASE_LOST) after auth let the request through.
    { method: "POST", url: "/worker/jobs/job_unknown/progress", body: { lease_token: "t", progress: 1 }, ok: 409, worker: true },
    { method: "POST", url: "/worker/jobs/job_unknown/complete", body: { lease_token: "t" }, ok: 409, worker: true },
    { method: "POST", url: "/worker/jobs/job_unknown/fail", body: { lease_token: "t", error: { message: "x" } }, ok: 409, worker: true },
    { method: "POST", url: "/worker/jobs/job_unknown/release", body: { lease_token: "t" }, ok: 409, worker: true },
  ];

  it("enforces 401 without or with a wrong token, 403 for read-only writes, and lets the full token through", async () => {
    const table: string[] = [];
    for (const route of routes()) {
      for (const [who, authorization] of Object.entries(CREDENTIALS)) {
        const res = await server.app.inject({
          method: route.method,
          url: route.url,
          headers: authorization === undefined ? {} : { authorization },
          ...(route.body === undefined ? {} : { payload: route.body }),
        });
        const expected =
          route.anyone ??
          (who === "none" || who === "wrong"
            ? 401
            : (who === "readonly" && route.method !== "GET") || (who === "worker" && route.worker !== true)
              ? 403
              : route.ok);
        table.push(`${route.method} ${route.url} ${who}: ${res.statusCode}${res.statusCode === expected ? "" : ` (expected ${expected})`}`);
        if (res.statusCode === 401 || res.statusCode === 403) {
          expect(res.json<{ error: { code: string } }>().error.code).toBe(res.statusCode === 401 ? "UNAUTHORIZED" : "FORBIDDEN");
        }
      }
    }
    expect(table.filter((line) => line.includes("expected"))).toEqual([]);
  });

  it("covers every documented route but the public health check", async () => {
    const document = (await server.app.inject({ url: "/openapi.json", headers: { authorization: CREDENTIALS.full } })).json<{ paths: Record<string, object> }>();
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((op) => `${op.toUpperCase()} ${path}`));
    const template = (url: string): string =>
      url
        .split("?")[0]!
        .replace(jobId, "{id}")
        .replace("job_unknown", "{id}")
        .replace(/^\/worker\/jobs\/[^/]+/, "/worker/jobs/{id}")
        .replace(/^\/queues\/[^/]+/, "/queues/{name}")
        .replace(/^\/schedules\/[^/]+/, "/schedules/{id}")
        .replace(/^\/limits\/[^/]+\/[^/]+$/, "/limits/{name}/{key}")
        .replace(/^\/limits\/[^/]+$/, "/limits/{name}");
    const covered = new Set(routes().map((route) => `${route.method} ${template(route.url)}`));
    expect(documented.filter((op) => !covered.has(op))).toEqual(["GET /monitoring/health"]);
  });

  it("leaves GET /monitoring/health open to anyone, with its details for valid tokens only", async () => {
    for (const [who, authorization] of Object.entries(CREDENTIALS)) {
      const res = await server.app.inject({ url: "/monitoring/health", headers: authorization === undefined ? {} : { authorization } });
      expect(res.statusCode, who).toBe(200);
      const keys = Object.keys(res.json<object>());
      if (who === "none" || who === "wrong" || who === "worker") expect(keys, who).toEqual(["status"]);
      else expect(keys, who).toEqual(expect.arrayContaining(["status", "reasons", "store"]));
    }
  });

  it("refuses malformed Authorization headers", () => {
    const tokens = { token: FULL_TOKEN, readonlyToken: READ_TOKEN };
    for (const header of ["", "Bearer", `Basic ${FULL_TOKEN}`, `Bearer ${FULL_TOKEN} extra`, `Bearer  ${FULL_TOKEN}x`, FULL_TOKEN]) {
      expect(accessOf(header, tokens), header).toBe("none");
    }
    expect(accessOf(`bearer ${FULL_TOKEN}`, tokens)).toBe("full");
    expect(accessOf(`Bearer ${READ_TOKEN}`, { token: FULL_TOKEN, readonlyToken: null })).toBe("none");
  });

  it("grants everything when no token is configured", () => {
    expect(accessOf(undefined, { token: null, readonlyToken: null })).toBe("full");
  });
});
