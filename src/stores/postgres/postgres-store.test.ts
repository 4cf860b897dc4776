// Runs the store contract suite against a private PostgreSQL cluster (one schema per case), plus
// PostgreSQL-specific checks: health, a schema name refused, the event feed across connections.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../../test/store-contract.js";
import { newJob } from "../../../test/support/jobs.js";
import { PostgresServer, postgresServerAvailable } from "../../../test/support/postgres-server.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { createStore } from "../../connect.js";
import type { JobEvent } from "../../core/events.js";
import { PostgresStore } from "./postgres-store.js";

const available = postgresServerAvailable();
let server: PostgresServer;
let n = 0;

describe.skipIf(!available)("postgres store", () => {
  beforeAll(async () => {
    server = await PostgresServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract({
    name: "postgres",
    create: async (clock) => PostgresStore.connect({ url: server.url, schema: `contract_${process.pid}_${n++}`, clock, poolSize: 4 }),
    connectPeer: async (store, clock) => PostgresStore.connect({ url: server.url, schema: (store as PostgresStore).schema, clock, poolSize: 2 }),
  });

  it("reports the server's version and warns when durability settings are off", async () => {
    const store = await PostgresStore.connect({ url: server.url, schema: "health" });
    try {
      const health = await store.health();
      expect(health.ok).toBe(true);
      expect(health.details).toMatchObject({ fsync: "off", synchronousCommit: "off", schema: "health" });
      expect(health.details.version).toMatch(/^\d+/);
      expect(health.warnings.join(" ")).toMatch(/fsync is off/);
      expect(health.warnings.join(" ")).toMatch(/synchronous_commit is off/);
    } finally {
      await store.close();
    }
  });

  it("is what createStore opens for a postgresUrl", async () => {
    const store = await createStore({ postgresUrl: server.url, postgres: { schema: "composed" } });
    try {
      expect(store.kind).toBe("postgres");
      const job = newJob();
      await store.enqueue([job]);
      expect((await store.getJob(job.id))?.status).toBe("QUEUED");
    } finally {
      await store.close();
    }
  });

  it("creates the jobs and events tables with the autovacuum settings the docs give", async () => {
    const store = await PostgresStore.connect({ url: server.url, schema: "vacuum" });
    const { default: pg } = await import("pg");
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ relname: string; reloptions: string[] }>(
        "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'vacuum' AND c.relname IN ('jobs', 'events') ORDER BY c.relname",
      );
      expect(rows).toEqual([
        { relname: "events", reloptions: ["autovacuum_vacuum_scale_factor=0.02"] },
        { relname: "jobs", reloptions: expect.arrayContaining(["autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.05", "fillfactor=80"]) as string[] },
      ]);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("stores a large batch in one statement, in order: claims take its jobs first to last", async () => {
    const store = await PostgresStore.connect({ url: server.url, schema: "batch_order" });
    try {
      const jobs = Array.from({ length: 300 }, (_, i) => newJob({ queue: i % 2 === 0 ? "even" : "odd", delayMs: i === 5 ? 60_000 : null }));
      const results = await store.enqueue(jobs);
      expect(results.map((r) => [r.job.id, r.job.status, r.created])).toEqual(jobs.map((j, i) => [j.id, i === 5 ? "SCHEDULED" : "QUEUED", true]));
      for (const queue of ["even", "odd"]) {
        const claimed = await store.claim({ queues: [queue], worker: "w", incarnation: "w-1", limit: 300, leaseMs: 30_000 });
        expect(claimed.map((c) => c.id)).toEqual(jobs.filter((j, i) => j.queue === queue && i !== 5).map((j) => j.id));
      }
      expect((await store.jobEvents(jobs[5]?.id ?? "")).map((e) => e.type)).toEqual(["job:scheduled"]);
      await expect(store.enqueue([newJob({ id: jobs[0]?.id ?? "" }), newJob()])).rejects.toMatchObject({ code: "INVALID_OPTIONS", message: `A job with id ${jobs[0]?.id} already exists` });
    } finally {
      await store.close();
    }
  });

  it("refuses a schema name that is not a plain identifier, with INVALID_OPTIONS", async () => {
    await expect(PostgresStore.connect({ url: server.url, schema: 'x"; DROP TABLE y; --' })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  it("fails with STORE_UNAVAILABLE when no server answers", async () => {
    await expect(PostgresStore.connect({ url: "postgres://postgres@127.0.0.1:1/postgres" })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });

  it("delivers events written by another connection, and resumes after a given position", async () => {
    const a = await PostgresStore.connect({ url: server.url, schema: "watch" });
    const b = await PostgresStore.connect({ url: server.url, schema: "watch" });
    try {
      const seen: JobEvent[] = [];
      const unwatch = await a.watch((event) => seen.push(event));
      await b.enqueue([newJob()]);
      await waitFor(() => seen.length === 1, { what: "the first event" });
      await unwatch();
      const missed = newJob();
      await b.enqueue([missed]);
      const resumed: JobEvent[] = [];
      const stop = await a.watch((event) => resumed.push(event), { afterSeq: seen[0]?.seq ?? "" });
      await waitFor(() => resumed.length === 1, { what: "the missed event" });
      expect(resumed[0]).toMatchObject({ type: "job:enqueued", jobId: missed.id });
      await stop();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
