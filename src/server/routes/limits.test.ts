// The limit routes and the limit fields of jobs through app.inject() on a real SQLite store:
// limit_keys at enqueue, held_by on the single-job view, listing, setting and clearing limits,
// and bad input answered 400 with nothing stored.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, READ, createTestServer, type TestServer } from "../../../test/support/server.js";

interface JobBody {
  job_id: string;
  limit_keys: Array<{ name: string; key: string }>;
  postponements: number;
  held_by?: string | null;
}

describe("limit routes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const call = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown, headers = FULL) =>
    server.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const jobCount = async () => (await server.client.listJobs({}, { limit: 500 })).jobs.length;
  const claimAll = () => server.store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 10, leaseMs: 30_000 });

  it("enqueues with limit_keys and shows them, the postponements and, on GET /jobs/{id} only, held_by", async () => {
    expect((await call("PUT", "/limits/per-project", { concurrency: 1 })).statusCode).toBe(200);
    const first = (await call("POST", "/jobs", { task: "echo", payload: null, limit_keys: { "per-project": "42" } })).json<JobBody>();
    const second = (await call("POST", "/jobs", { task: "echo", payload: null, limit_keys: { "per-project": "42" } })).json<JobBody>();
    expect((await claimAll()).map((j) => j.id)).toEqual([first.job_id]);
    const held = (await call("GET", `/jobs/${second.job_id}`)).json<JobBody>();
    expect(held).toMatchObject({ limit_keys: [{ name: "per-project", key: "42" }], postponements: 0, held_by: "limited by per-project, key 42: 1 of 1 running" });
    expect((await call("GET", `/jobs/${first.job_id}`)).json<JobBody>().held_by).toBeNull();
    const listed = (await call("GET", "/jobs")).json<{ jobs: JobBody[] }>().jobs;
    expect(listed.find((j) => j.job_id === second.job_id)).toMatchObject({ limit_keys: [{ name: "per-project", key: "42" }] });
    expect(listed.every((j) => !("held_by" in j))).toBe(true);
  });

  it("takes limit_keys on the jobs of flows and batches", async () => {
    const flow = await call("POST", "/flows", { task: "echo", payload: null, limit_keys: { shared: "api" }, children: [{ task: "echo", payload: null, limit_keys: { "per-user": "u1" } }] });
    expect(flow.statusCode).toBe(201);
    const jobs = flow.json<{ jobs: JobBody[] }>().jobs;
    expect(jobs.map((j) => j.limit_keys)).toEqual([[{ name: "per-user", key: "u1" }], [{ name: "shared", key: "api" }]]);
    const batch = await call("POST", "/batches", { jobs: [{ task: "echo", payload: null, limit_keys: { shared: "api" } }], callback: { task: "echo", payload: null } });
    expect(batch.json<{ jobs: JobBody[] }>().jobs[0]?.limit_keys).toEqual([{ name: "shared", key: "api" }]);
  });

  it("refuses malformed limit_keys with 400 BAD_REQUEST and stores nothing", async () => {
    for (const limit_keys of [
      { "bad name!": "1" },
      { "per-project": "" },
      { "per-project": 42 },
      { a: "1", b: "2", c: "3", d: "4", e: "5" },
      { "per-project": "x".repeat(257) },
      ["per-project", "42"],
    ]) {
      const res = await call("POST", "/jobs", { task: "echo", payload: null, limit_keys });
      expect(res.statusCode, JSON.stringify(limit_keys)).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code).toBe("BAD_REQUEST");
    }
    expect(await jobCount()).toBe(0);
  });

  it("lists the keys with waiting or running jobs and reads one", async () => {
    await call("PUT", "/limits/per-project", { concurrency: 1, rate: { limit: 10, period_ms: 1000 } });
    for (const key of ["42", "42", "7"]) await call("POST", "/jobs", { task: "echo", payload: null, limit_keys: { "per-project": key } });
    await claimAll();
    const page = (await call("GET", "/limits", undefined, READ)).json<{ limits: Array<Record<string, unknown>>; next_cursor: string | null }>();
    expect(page.next_cursor).toBeNull();
    expect(page.limits.map((l) => [l.key, l.running, l.waiting, l.at_limit])).toEqual([["42", 1, 1, true], ["7", 1, 0, true]]);
    expect(page.limits[0]).toMatchObject({ name: "per-project", concurrency: 1, rate: { limit: 10, period_ms: 1000, burst: 1 } });
    expect(typeof page.limits[0]?.tokens).toBe("number");
    const first = (await call("GET", "/limits?limit=1")).json<{ limits: Array<{ key: string }>; next_cursor: string }>();
    expect(first.limits.map((l) => l.key)).toEqual(["42"]);
    const rest = (await call("GET", `/limits?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`)).json<{ limits: Array<{ key: string }> }>();
    expect(rest.limits.map((l) => l.key)).toEqual(["7"]);
    const one = await call("GET", "/limits/per-project/unknown-key", undefined, READ);
    expect(one.json()).toEqual({ name: "per-project", key: "unknown-key", concurrency: 1, rate: { limit: 10, period_ms: 1000, burst: 1 }, running: 0, waiting: 0, tokens: 1, at_limit: false });
    const badCursor = await call("GET", "/limits?cursor=nonsense");
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json<{ error: { code: string } }>().error.code).toBe("INVALID_CURSOR");
  });

  it("sets a key's override and a name's default as an operator, and clears them", async () => {
    const set = await call("PUT", `/limits/per-project/${encodeURIComponent("team/a b")}`, { concurrency: 3, rate: { limit: 5, period_ms: 60_000, burst: 2 } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ name: "per-project", key: "team/a b", concurrency: 3, rate: { limit: 5, period_ms: 60_000, burst: 2 }, source: "operator" });
    expect(set.json<{ updated_at: string }>().updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const byDefault = await call("PUT", "/limits/per-project", { concurrency: 1 });
    expect(byDefault.json()).toMatchObject({ key: null, concurrency: 1, rate: null, source: "operator" });
    expect((await call("GET", "/limits/per-project/team%2Fa%20b")).json()).toMatchObject({ concurrency: 3 });
    expect((await call("DELETE", "/limits/per-project/team%2Fa%20b")).statusCode).toBe(204);
    expect((await call("GET", "/limits/per-project/team%2Fa%20b")).json()).toMatchObject({ concurrency: 1, rate: null });
    expect((await call("DELETE", "/limits/per-project")).statusCode).toBe(204);
    expect((await call("GET", "/limits/per-project/team%2Fa%20b")).json()).toMatchObject({ concurrency: null, at_limit: false });
    // Clearing what is not there is not an error.
    expect((await call("DELETE", "/limits/per-project")).statusCode).toBe(204);
  });

  it("refuses bad settings with 400 and stores nothing", async () => {
    const cases: Array<[string, unknown, string]> = [
      ["/limits/per-project/42", {}, "INVALID_OPTIONS"],
      ["/limits/per-project/42", { concurrency: null, rate: null }, "INVALID_OPTIONS"],
      ["/limits/per-project/42", { concurrency: -1 }, "BAD_REQUEST"],
      ["/limits/per-project/42", { concurrency: 1.5 }, "BAD_REQUEST"],
      ["/limits/per-project/42", { rate: { limit: 0, period_ms: 1000 } }, "BAD_REQUEST"],
      ["/limits/per-project/42", { rate: { limit: 1 } }, "BAD_REQUEST"],
      ["/limits/per-project/42", { rate: { limit: 1, period_ms: 1000, burst: -1 } }, "BAD_REQUEST"],
      ["/limits/per-project/42", { concurrency: 1, priority: 2 }, "BAD_REQUEST"],
      ["/limits/bad%20name/42", { concurrency: 1 }, "BAD_REQUEST"],
      ["/limits/bad%20name", { concurrency: 1 }, "BAD_REQUEST"],
      [`/limits/per-project/${"k".repeat(257)}`, { concurrency: 1 }, "BAD_REQUEST"],
    ];
    for (const [url, body, code] of cases) {
      const res = await call("PUT", url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code, `${url} ${JSON.stringify(body)}`).toBe(code);
    }
    expect((await call("GET", "/limits")).json()).toEqual({ limits: [], next_cursor: null });
    expect((await call("GET", "/limits/per-project/42")).json()).toMatchObject({ concurrency: null, rate: null });
  });
});
