// Enqueue inside the application's own transaction, with real processes on a private PostgreSQL
// cluster: a rolled-back transaction leaves no job, a committed one runs in a worker process, an
// application SIGKILLed before its commit leaves none, and the wake-up is sent on commit.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { PostgresStore } from "../../src/stores/postgres/postgres-store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { PostgresServer, postgresServerAvailable } from "../support/postgres-server.js";
import { spawnTs, type Child } from "../support/processes.js";
import { waitFor } from "../support/wait-for.js";

const WORKER = join(import.meta.dirname, "../fixtures/postgres-worker.ts");
const PRODUCER = join(import.meta.dirname, "../fixtures/postgres-tx-producer.ts");
const SCHEMA = "tx";
const dir = mkdtempSync(join(tmpdir(), "caudex-pg-tx-"));
const out = join(dir, "worker.out");
const children: Child[] = [];
let server: PostgresServer;
let store: PostgresStore;
let client: Client;
let app: pg.Client;

function ran(): string[] {
  return existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : [];
}

/** Enqueues a job outside any transaction and waits until the worker completed it: every job it could see before is done or never was. */
async function drainWorker(): Promise<void> {
  const marker = await client.enqueue("record", { marker: true });
  expect(await client.wait(marker.id, { timeoutMs: 20_000 })).toMatchObject({ status: "COMPLETED" });
}

describe.skipIf(!postgresServerAvailable())("enqueue inside the application's transaction (PostgreSQL)", () => {
  beforeAll(async () => {
    server = await PostgresServer.start();
    store = await PostgresStore.connect({ url: server.url, schema: SCHEMA, poolSize: 4 });
    client = new Client({ store });
    app = new pg.Client({ connectionString: server.url });
    await app.connect();
    await app.query("CREATE TABLE app_orders (id serial PRIMARY KEY, note text NOT NULL)");
    const worker = spawnTs(WORKER, { PG_URL: server.url, SCHEMA, NAME: "tx-worker", OUT: out, MAINTENANCE_MS: "200" });
    children.push(worker);
    await waitFor(() => worker.output().includes("ready"), { timeoutMs: 30_000, what: "the worker process ready" });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.process.kill("SIGKILL");
    await app?.end().catch(() => undefined);
    await client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores no job when the transaction rolls back", async () => {
    await app.query("BEGIN");
    await app.query("INSERT INTO app_orders (note) VALUES ('rolled back')");
    const job = await client.enqueue("record", { order: "rolled back" }, { tx: app });
    expect(job.status).toBe("QUEUED");
    expect(await client.getJob(job.id), "invisible before the commit").toBeNull();
    await app.query("ROLLBACK");
    expect(await client.getJob(job.id)).toBeNull();
    await drainWorker();
    expect(ran()).not.toContain(job.id);
    expect((await client.listJobs({ status: "QUEUED" })).jobs).toEqual([]);
  });

  it("runs the job in a worker process once the transaction commits", async () => {
    await app.query("BEGIN");
    const { rows } = await app.query<{ id: number }>("INSERT INTO app_orders (note) VALUES ('committed') RETURNING id");
    const order = rows[0]?.id;
    const job = await client.enqueue("record", { order }, { tx: app });
    expect(await client.getJob(job.id)).toBeNull();
    await app.query("COMMIT");
    const done = await client.wait(job.id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: "COMPLETED", payload: { order }, result: { by: "tx-worker" } });
    expect(ran().filter((id) => id === job.id)).toHaveLength(1);
  });

  it("stores no job when the application is SIGKILLed before its commit", async () => {
    const producer = spawnTs(PRODUCER, { PG_URL: server.url, SCHEMA });
    children.push(producer);
    const ready = await waitFor(() => /^ready (\S+)$/m.exec(producer.output())?.[1], { timeoutMs: 30_000, what: "the application to enqueue inside its transaction" });
    producer.process.kill("SIGKILL");
    await producer.exited;
    // The server notices the dead connection and rolls its transaction back.
    await waitFor(async () => (await app.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'caudex-tx-producer'")).rowCount === 0, {
      what: "the killed application's connection to end",
    });
    expect(await client.getJob(ready)).toBeNull();
    expect((await app.query("SELECT 1 FROM app_orders WHERE note = 'never committed'")).rowCount).toBe(0);
    await drainWorker();
    expect(ran()).not.toContain(ready);
  }, 60_000);

  it("wakes a waiting worker by NOTIFY when the transaction commits, not before", async () => {
    // Polling an hour apart: only the notification can end this wait within the test's time.
    const listener = await PostgresStore.connect({ url: server.url, schema: SCHEMA, poolSize: 1, pollIntervalMs: 3_600_000 });
    try {
      // The first wait opens the LISTEN connection.
      await waitFor(async () => {
        await listener.waitForWork(["wake"], 200, new AbortController().signal);
        return (await listener.health()).details.notifications === "listen";
      }, { what: "the LISTEN connection" });
      let woke = false;
      const waiting = listener.waitForWork(["wake"], 3_600_000, new AbortController().signal).then(() => (woke = true));
      await app.query("BEGIN");
      const job = await client.enqueue("record", {}, { tx: app, queue: "wake" });
      expect(await listener.claim({ queues: ["wake"], worker: "probe", incarnation: "probe-1", limit: 1, leaseMs: 30_000 })).toEqual([]);
      expect(woke, "woken before the commit").toBe(false);
      await app.query("COMMIT");
      await waiting;
      const claimed = await listener.claim({ queues: ["wake"], worker: "probe", incarnation: "probe-1", limit: 1, leaseMs: 30_000 });
      expect(claimed.map((c) => c.id)).toEqual([job.id]);
    } finally {
      await listener.close();
    }
  }, 30_000);

  it("stores enqueueMany and enqueueFlow in the transaction, all or nothing", async () => {
    await app.query("BEGIN");
    const many = await client.enqueueMany([0, 1, 2].map((i) => ({ task: "record", payload: { i }, options: { tx: app, queue: "held" } })));
    const flow = await client.enqueueFlow({ task: "record", payload: { parent: true }, options: { queue: "held" }, children: [{ task: "record", payload: { child: true }, options: { queue: "held" } }] }, { tx: app });
    await app.query("ROLLBACK");
    for (const job of [...many, ...flow.jobs]) expect(await client.getJob(job.id)).toBeNull();
    await app.query("BEGIN");
    const kept = await client.enqueueMany([0, 1].map((i) => ({ task: "record", payload: { i }, options: { tx: app, queue: "held" } })));
    const tree = await client.enqueueFlow({ task: "record", payload: {}, options: { queue: "held" }, children: [{ task: "record", payload: {}, options: { queue: "held" } }] }, { tx: app });
    await app.query("COMMIT");
    expect((await Promise.all(kept.map((j) => client.getJob(j.id)))).map((j) => j?.status)).toEqual(["QUEUED", "QUEUED"]);
    expect((await client.getJob(tree.root.id))?.status).toBe("DEFERRED");
  });

  it("leaves the application's transaction usable after a refused enqueue", async () => {
    await app.query("BEGIN");
    await expect(client.enqueue("record", {}, { tx: app, dependsOn: ["job_missing"] })).rejects.toMatchObject({ code: "DEPENDENCY_NOT_FOUND" });
    await app.query("INSERT INTO app_orders (note) VALUES ('after a refusal')");
    await app.query("COMMIT");
    expect((await app.query("SELECT 1 FROM app_orders WHERE note = 'after a refusal'")).rowCount).toBe(1);
  });

  it("refuses a tx that is no open transaction, mixed txs, and a tx inside a flow job, with INVALID_OPTIONS", async () => {
    await expect(client.enqueue("record", {}, { tx: app })).rejects.toMatchObject({ code: "INVALID_OPTIONS", message: expect.stringMatching(/no open transaction/) as string });
    const pool = new pg.Pool({ connectionString: server.url, max: 1 });
    try {
      await expect(client.enqueue("record", {}, { tx: pool })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    } finally {
      await pool.end();
    }
    await expect(client.enqueue("record", {}, { tx: "not a client" })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueueMany([{ task: "record", payload: {}, options: { tx: app } }, { task: "record", payload: {} }])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.enqueueFlow({ task: "record", payload: {}, children: [{ task: "record", payload: {}, options: { tx: app } }] })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    expect((await client.listJobs({ queue: "default", status: "QUEUED" })).jobs).toEqual([]);
  });

  it("refuses tx on a store without transactional enqueue, storing nothing", async () => {
    const sqlite = new Client({ store: new SqliteStore({ path: join(dir, "other.db") }) });
    try {
      await expect(sqlite.enqueue("record", {}, { tx: app })).rejects.toMatchObject({ code: "INVALID_OPTIONS", message: expect.stringMatching(/transactional enqueue needs the PostgreSQL store/) as string });
      expect((await sqlite.listJobs()).jobs).toEqual([]);
    } finally {
      await sqlite.close();
    }
  });
});
