// JSON bodies through app.inject(): the depth limit, and refusals that say what was refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FULL, createTestServer, type TestServer } from "../../test/support/server.js";
import { jsonDepth } from "./json-body.js";

describe("JSON bodies", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (payload: string) =>
    server.app.inject({ method: "POST", url: "/jobs", headers: { ...FULL, "content-type": "application/json" }, payload });

  it("refuses a __proto__ or constructor.prototype key with 400 BAD_REQUEST, saying which keys are refused", async () => {
    for (const body of ['{"task":"echo","payload":{"__proto__":{"x":1}}}', '{"task":"echo","payload":{"constructor":{"prototype":{"x":1}}}}']) {
      const res = await post(body);
      expect(res.statusCode, body).toBe(400);
      const error = res.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain('"__proto__"');
      expect(error.message).toContain('"constructor"');
      expect(error.message).not.toMatch(/not valid JSON/);
    }
  });

  it("still calls a malformed body not valid JSON", async () => {
    const res = await post('{"task": ');
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/not valid JSON/);
  });

  it("counts nesting depth without counting brackets inside strings", () => {
    expect(jsonDepth('{"a":[[1]],"b":"[[[[{"}')).toBe(3);
  });
});
