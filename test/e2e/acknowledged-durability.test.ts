// Promise 1, with real processes and real signals: once enqueue has returned, the job survives
// a SIGKILL of the producer (SQLite) and a SIGKILL of redis-server under AOF appendfsync always.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/store.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "../support/processes.js";
import { RedisServer, redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const PRODUCER = join(import.meta.dirname, "../fixtures/producer.ts");
const dir = mkdtempSync(join(tmpdir(), "caudex-durability-"));
const children: Child[] = [];
afterAll(() => {
  for (const child of children) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function acknowledged(child: Child): string[] {
  return [...child.output().matchAll(/^ack (\S+)$/gm)].map((m) => m[1] as string);
}

async function missing(store: Store, ids: string[]): Promise<string[]> {
  const lost: string[] = [];
  for (const id of ids) if ((await store.getJob(id)) === null) lost.push(id);
  return lost;
}

describe("acknowledged jobs survive crashes", () => {
  it("keeps every acknowledged job when the producer is SIGKILLed mid-stream (SQLite)", async () => {
    const db = join(dir, "producer-kill.db");
    const producer = spawnTs(PRODUCER, { DB: db });
    children.push(producer);
    await waitFor(() => acknowledged(producer).length >= 300, { timeoutMs: 30_000, what: "300 acknowledged enqueues" });
    producer.process.kill("SIGKILL");
    await producer.exited;
    const ids = acknowledged(producer);
    const store = new SqliteStore({ path: db });
    expect(await missing(store, ids)).toEqual([]);
    console.log(`producer SIGKILLed after ${ids.length} acknowledged enqueues: 0 lost`);
    await store.close();
  }, 60_000);

  it("keeps every acknowledged job when redis-server is SIGKILLed mid-stream (AOF always)", async () => {
    if (!redisServerAvailable()) return;
    const redis = await RedisServer.start({ appendfsync: "always" });
    try {
      const producer = spawnTs(PRODUCER, { REDIS_URL: redis.url });
      children.push(producer);
      await waitFor(() => acknowledged(producer).length >= 300, { timeoutMs: 30_000, what: "300 acknowledged enqueues" });
      await redis.kill();
      await waitFor(() => producer.output().includes("error STORE_UNAVAILABLE"), { timeoutMs: 10_000, what: "enqueue to fail fast while Redis is down" });
      await redis.restart();
      const before = acknowledged(producer).length;
      await waitFor(() => acknowledged(producer).length > before + 50, { timeoutMs: 20_000, what: "enqueues to resume after the restart" });
      producer.process.kill("SIGKILL");
      await producer.exited;
      await redis.restart();
      const ids = acknowledged(producer);
      const store = await RedisStore.connect({ url: redis.url, namespace: "durability" });
      expect(await missing(store, ids)).toEqual([]);
      const errors = (producer.output().match(/^error /gm) ?? []).length;
      console.log(`redis-server SIGKILLed twice around ${ids.length} acknowledged enqueues (${errors} failed fast while down): 0 lost`);
      await store.close();
    } finally {
      await redis.stop();
    }
  }, 90_000);
});
