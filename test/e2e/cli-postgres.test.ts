// The `caudex` binary on the PostgreSQL store, chosen by DATABASE_URL or CAUDEX_POSTGRES_URL: a
// job enqueued by one process runs in a worker process, the server's health names the store and
// its version, a DATABASE_URL of another database is passed over, and a bad URL is refused.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/stores/postgres/postgres-store.js";
import { buildCli, runCli, startCli, type CliProcess, type JobJson } from "../support/cli.js";
import { PostgresServer, postgresServerAvailable } from "../support/postgres-server.js";

const TASKS = join(import.meta.dirname, "../fixtures/cli-tasks.mjs");
const TOKEN = "postgres-cli-test-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "caudex-cli-pg-"));
const running: CliProcess[] = [];
let server: PostgresServer;

describe.skipIf(!postgresServerAvailable())("caudex on PostgreSQL", () => {
  beforeAll(async () => {
    await buildCli();
    server = await PostgresServer.start();
  }, 180_000);
  afterAll(async () => {
    for (const child of running) child.process.kill("SIGKILL");
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("enqueues with DATABASE_URL and runs the job in a worker started with CAUDEX_POSTGRES_URL", async () => {
    const enqueued = await runCli(["enqueue", "quick", "--payload", '{"n":1}', "--json"], { env: { DATABASE_URL: server.url } });
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const job = JSON.parse(enqueued.stdout) as JobJson;
    const worker = await runCli(["worker", "--tasks", TASKS, "--burst", "--queues", "default"], { env: { CAUDEX_POSTGRES_URL: server.url } });
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(/on postgres/);
    const store = await PostgresStore.connect({ url: server.url });
    try {
      expect(await store.getJob(job.job_id)).toMatchObject({ status: "COMPLETED", result: { echoed: { n: 1 } } });
    } finally {
      await store.close();
    }
  }, 60_000);

  it("serves a health check that names the store, the server's version and its durability settings", async () => {
    const serve = startCli(["serve", "--host", "127.0.0.1", "--port", "0"], { env: { DATABASE_URL: server.url, INTERNAL_SERVICE_TOKEN: TOKEN } });
    running.push(serve);
    const [, port] = await serve.waitForOutput(/serving the API on http:\/\/[^:]+:(\d+) \(store: postgres/);
    const res = await fetch(`http://127.0.0.1:${port}/monitoring/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { store: string; reasons: string[]; store_details: Record<string, unknown> };
    expect(body.store).toBe("postgres");
    expect(body.store_details).toMatchObject({ fsync: "off", synchronous_commit: "off", schema: "caudex", notifications: expect.any(String) as string });
    expect(String(body.store_details.version)).toMatch(/^\d+/);
    expect(body.reasons.join(" ")).toMatch(/synchronous_commit is off/);
    serve.process.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
  }, 60_000);

  it("passes over a DATABASE_URL of another database, and a Redis URL wins over a PostgreSQL one", async () => {
    const db = join(dir, "other.db");
    const sqlite = await runCli(["enqueue", "quick", "--db", db, "--json"], { env: { DATABASE_URL: "mysql://app:secret@db/app" } });
    expect(sqlite.code, sqlite.stderr).toBe(0);
    const health = await runCli(["health", "--db", db, "--json"], { env: { DATABASE_URL: "mysql://app:secret@db/app" } });
    expect(JSON.parse(health.stdout)).toMatchObject({ store: "sqlite" });
    // Nothing listens on port 1: the Redis store is the one tried, and its failure says so.
    const redis = await runCli(["stats"], { env: { REDIS_URL: "redis://127.0.0.1:1", DATABASE_URL: server.url } });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(/Cannot connect to Redis/);
  }, 60_000);

  it("refuses a PostgreSQL URL of another scheme with CONFIG_INVALID, its password hidden", async () => {
    const bad = await runCli(["stats", "--json"], { env: { CAUDEX_POSTGRES_URL: "mysql://app:secret@db/app" } });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: "CONFIG_INVALID" } });
    expect(bad.stderr).toMatch(/CAUDEX_POSTGRES_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(bad.stderr).not.toContain("secret");
  });

  it("says what to fix when the PostgreSQL server does not answer", async () => {
    const down = await runCli(["stats"], { env: { CAUDEX_POSTGRES_URL: "postgres://caudex:secret@127.0.0.1:1/app" } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Cannot open the PostgreSQL store at postgres:\/\/caudex:\*\*\*@127\.0\.0\.1:1\/app/);
    expect(down.stderr).toMatch(/CAUDEX_POSTGRES_URL/);
    expect(down.stderr).not.toContain("secret");
  });
});
