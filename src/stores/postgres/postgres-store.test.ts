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
