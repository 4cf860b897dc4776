// Runs the store contract suite against SQLite: in memory, and on a real file shared by two connections.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../../test/store-contract.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-sqlite-"));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract({
  name: "sqlite (file)",
  create: async (clock) => new SqliteStore({ path: join(dir, `contract-${n++}.db`), clock }),
  connectPeer: async (store, clock) => new SqliteStore({ path: (store as SqliteStore).path, clock }),
});

describeStoreContract({
  name: "sqlite (:memory:)",
  create: async (clock) => new SqliteStore({ path: ":memory:", clock }),
});

describe("sqlite store setup", () => {
  it("uses WAL and reports the file in health", async () => {
    const store = new SqliteStore({ path: join(dir, "health.db") });
    const health = await store.health();
    expect(health.details).toMatchObject({ journalMode: "wal", synchronous: "FULL" });
    await store.close();
  });

  it("applies migrations once when two connections open the same new file", async () => {
    const path = join(dir, "twice.db");
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    expect((await b.health()).ok).toBe(true);
    await a.close();
    await b.close();
  });

  it("refuses to work after close with STORE_UNAVAILABLE", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    await store.close();
    await expect(store.cancel("job_x")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
