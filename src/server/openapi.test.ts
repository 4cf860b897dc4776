// The OpenAPI document is generated from the route schemas and must be a valid OpenAPI 3.1.
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL, createTestServer, type TestServer } from "../../test/support/server.js";

describe("GET /openapi.json", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("is a valid OpenAPI 3.1 document listing every route", async () => {
    const res = await server.app.inject({ url: "/openapi.json", headers: FULL });
    const document = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    const operations = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((op) => `${op.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        "GET /jobs", "POST /jobs", "GET /jobs/{id}", "DELETE /jobs/{id}", "GET /jobs/{id}/events", "GET /jobs/{id}/explain", "POST /jobs/{id}/retry",
        "POST /jobs/{id}/cancel", "GET /jobs/{id}/tree", "GET /jobs/{id}/dependencies", "POST /flows", "POST /batches",
        "GET /batches/{id}", "POST /queues/{name}/pause", "POST /queues/{name}/resume", "GET /monitoring/health",
        "GET /monitoring/queue/stats", "GET /monitoring/queue/workers", "GET /monitoring/queue/failed",
        "POST /monitoring/queue/failed", "GET /events", "GET /metrics", "GET /schedules", "GET /schedules/{id}",
        "PUT /schedules/{id}", "DELETE /schedules/{id}", "GET /schedules/{id}/next", "POST /schedules/{id}/pause",
        "POST /schedules/{id}/resume", "POST /schedules/{id}/trigger",
        "GET /limits", "GET /limits/{name}/{key}", "PUT /limits/{name}/{key}", "PUT /limits/{name}", "DELETE /limits/{name}/{key}", "DELETE /limits/{name}",
        "POST /worker/register", "POST /worker/claim", "POST /worker/heartbeat", "POST /worker/unregister",
        "POST /worker/jobs/{id}/progress", "POST /worker/jobs/{id}/complete", "POST /worker/jobs/{id}/fail", "POST /worker/jobs/{id}/release",
      ].sort(),
    );
  });

  it("gives every operation a unique operationId, a description for each answer, and the error answers it can give", async () => {
    type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, { description?: string; content?: unknown }> };
    const document = (await server.app.inject({ url: "/openapi.json", headers: FULL })).json<{ paths: Record<string, Record<string, Operation>> }>();
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, name).toMatch(/^[a-z]+[A-Za-z]*$/);
        expect(ids.has(operation.operationId as string), `${name}: operationId is unique`).toBe(false);
        ids.add(operation.operationId as string);
        for (const [code, answer] of Object.entries(operation.responses)) expect(answer.description, `${name} ${code}`).not.toBe("Default Response");
        expect(Object.keys(operation.responses), name).toContain("503");
        // (No token needed: an empty list, or an empty requirement among the alternatives.)
        const isPublic = Array.isArray(operation.security) && (operation.security.length === 0 || operation.security.some((r) => Object.keys(r as object).length === 0));
        if (!isPublic) for (const code of ["401", "403", "429"]) expect(Object.keys(operation.responses), `${name} answers ${code}`).toContain(code);
      }
    }
    const enqueue = document.paths["/jobs"]?.post;
    for (const code of ["400", "409", "413", "415"]) expect(Object.keys(enqueue?.responses ?? {}), `POST /jobs answers ${code}`).toContain(code);
    expect(enqueue?.operationId).toBe("postJobs");
    expect(document.paths["/jobs/{id}/tree"]?.get?.operationId).toBe("getJobsByIdTree");
    expect(Object.keys(document.paths["/jobs/{id}"]?.get?.responses ?? {})).toContain("404");
  });

  it("serves the browsable docs at /docs", async () => {
    const res = await server.app.inject({ url: "/docs", headers: FULL });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("swagger-ui");
  });
});
