// The store behind PgBouncer in transaction mode: the whole store contract through it (no named
// prepared statements, LISTEN on a direct connection), a drain by worker processes that poll
// (no LISTEN at all), and an enqueue inside an application's transaction through PgBouncer.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../../test/store-contract.js";
import { PgBouncer, pgbouncerAvailable } from "../../../test/support/pgbouncer.js";
import { PostgresServer, postgresServerAvailable } from "../../../test/support/postgres-server.js";
import { spawnTs, type Child } from "../../../test/support/processes.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { Client } from "../../core/client.js";
import { PostgresStore } from "./postgres-store.js";

const WORKER = join(import.meta.dirname, "../../../test/fixtures/postgres-worker.ts");
const available = postgresServerAvailable() && pgbouncerAvailable();
const dir = mkdtempSync(join(tmpdir(), "caudex-pgbouncer-test-"));
const children: Child[] = [];
let server: PostgresServer;
let bouncer: PgBouncer;
let n = 0;

describe.skipIf(!available)("postgres store behind PgBouncer (transaction mode)", () => {
  beforeAll(async () => {
    server = await PostgresServer.start();
    bouncer = await PgBouncer.start(server);
  });
  afterAll(async () => {
    for (const child of children) child.process.kill("SIGKILL");
    await bouncer?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const through = { preparedStatements: false } as const;
  describeStoreContract({
    name: "postgres behind pgbouncer",
    create: async (clock) => PostgresStore.connect({ url: bouncer.url, listenUrl: server.url, ...through, schema: `bouncer_${process.pid}_${n++}`, clock, poolSize: 4 }),
    connectPeer: async (store, clock) => PostgresStore.connect({ url: bouncer.url, listenUrl: server.url, ...through, schema: (store as PostgresStore).schema, clock, poolSize: 2 }),
  });

  it("drains jobs with worker processes that poll instead of listening", async () => {
    const store = await PostgresStore.connect({ url: bouncer.url, ...through, listenUrl: false, schema: "drain" });
    const client = new Client({ store });
    try {
      const jobs = await client.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ task: "record", payload: { i } })));
      const outs = [0, 1].map((i) => join(dir, `drain-${i}.out`));
      for (const [i, out] of outs.entries()) {
        children.push(spawnTs(WORKER, { PG_URL: bouncer.url, PREPARED: "0", LISTEN_URL: "none", SCHEMA: "drain", NAME: `bouncer-${i}`, CONCURRENCY: "8", OUT: out }));
      }
      await waitFor(async () => (await store.stats()).find((s) => s.queue === "default")?.counts.COMPLETED === jobs.length, { timeoutMs: 60_000, intervalMs: 100, what: "every job completed" });
      const ran = outs.flatMap((out) => (existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : []));
      expect(new Set(ran).size).toBe(jobs.length);
      expect((await store.health()).details).toMatchObject({ notifications: "polling" });
    } finally {
      await client.close();
    }
  }, 90_000);

  it("enqueues inside an application's transaction through PgBouncer: nothing on rollback, the job on commit", async () => {
    const store = await PostgresStore.connect({ url: bouncer.url, ...through, listenUrl: server.url, schema: "bounced_tx" });
    const client = new Client({ store });
    const pool = new pg.Pool({ connectionString: bouncer.url, max: 2 });
    const app = await pool.connect();
    try {
      await app.query("BEGIN");
      const dropped = await client.enqueue("record", {}, { tx: app });
      await app.query("ROLLBACK");
      await app.query("BEGIN");
      const kept = await client.enqueue("record", {}, { tx: app });
      await app.query("COMMIT");
      expect(await client.getJob(dropped.id)).toBeNull();
      expect((await client.getJob(kept.id))?.status).toBe("QUEUED");
    } finally {
      app.release();
      await pool.end();
      await client.close();
    }
  });
});
