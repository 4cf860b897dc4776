// deploy/prometheus/caudex-rules.yml: valid for promtool, firing when it should (promtool's
// own rule unit tests), and naming only metrics that GET /metrics really exposes.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, FULL, type TestServer } from "../support/server.js";
import { readYaml, ROOT, run } from "./deploy-files.js";

const RULES = "deploy/prometheus/caudex-rules.yml";

function hasPromtool(): boolean {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const promtool = hasPromtool();

function needPromtool(ctx: { skip(): void }): void {
  if (promtool) return;
  if (process.env.CI === "true") throw new Error("promtool is missing (Debian package prometheus)");
  ctx.skip();
}

interface Rules {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
}

describe("Prometheus rules", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("pass promtool check rules", async (ctx) => {
    needPromtool(ctx);
    const result = await run("promtool", ["check", "rules", RULES]);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("fire for no workers, queue age and failure rate, and only then (promtool test rules)", async (ctx) => {
    needPromtool(ctx);
    const result = await run("promtool", ["test", "rules", join(ROOT, "test/deploy/fixtures/caudex-rules.promtest.yml")]);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("cover the three alerts the guide promises", () => {
    const alerts = readYaml<Rules>(RULES).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(["CaudexNoWorkers", "CaudexQueueAgeTooHigh", "CaudexFailureRateHigh"]));
  });

  it("use only metric names that GET /metrics exposes", async () => {
    const reply = await server.app.inject({ method: "GET", url: "/metrics", headers: FULL });
    expect(reply.statusCode).toBe(200);
    const exposed = new Set([...reply.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const used = new Set(
      readYaml<Rules>(RULES)
        .groups.flatMap((g) => g.rules.map((r) => r.expr))
        .flatMap((expr) => [...expr.matchAll(/\bcaudex_[a-z_]+\b/g)].map((m) => m[0])),
    );
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
