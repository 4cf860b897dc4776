// The systems under test, seen from the producer's side: Caudex on Redis, BullMQ on the same
// Redis, and Caudex on SQLite. Each offers single and bulk enqueue and a count of completed jobs.
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Json } from "../src/core/job.js";
import type { RedisStore as RedisStoreType } from "../src/stores/redis/redis-store.js";
import { Client, defineTask, RedisStore, SqliteStore } from "./caudex-build.js";

/** Which system a run measures. */
export type SystemName = "caudex" | "bullmq" | "sqlite";

/** A system and where its data lives: a Redis URL, or a SQLite file path. */
export interface Target {
  system: SystemName;
  location: string;
}

/** The producer side of a system under test. */
export interface Producer {
  enqueueOne(payload: Json): Promise<void>;
  /** One bulk call (enqueueMany / addBulk) for all the payloads given. */
  enqueueBulk(payloads: readonly Json[]): Promise<void>;
  /** How many jobs have completed so far. */
  completed(): Promise<number>;
  close(): Promise<void>;
}

/** Namespace (Caudex) and queue name (BullMQ) used by every run. */
export const BENCH_NAMESPACE = "bench";
/** The no-op task both systems run. */
export const noop = defineTask("noop", () => null);

/** Host and port of a redis:// URL, as BullMQ's connection options want them. */
export function redisEndpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** Opens a producer for the target. */
export async function openProducer(target: Target): Promise<Producer> {
  if (target.system === "bullmq") return bullProducer(target.location);
  const store = target.system === "caudex" ? await RedisStore.connect({ url: target.location, namespace: BENCH_NAMESPACE }) : new SqliteStore({ path: target.location });
  const client = new Client({ store });
  const counter = target.system === "caudex" ? redisCompletedCounter(target.location, store as RedisStoreType) : null;
  return {
    enqueueOne: async (payload) => void (await client.enqueue(noop, payload)),
    enqueueBulk: async (payloads) => void (await client.enqueueMany(payloads.map((payload) => ({ task: noop, payload })))),
    completed: async () => {
      if (counter !== null) return counter.count();
      const stats = await store.stats();
      return stats.reduce((sum, q) => sum + q.counts.COMPLETED, 0);
    },
    close: async () => {
      await counter?.close();
      await store.close();
    },
  };
}

// Polls the per-queue COMPLETED counter directly: one HGET, cheaper than the stats script.
function redisCompletedCounter(url: string, store: RedisStoreType): { count(): Promise<number>; close(): Promise<void> } {
  const redis = new Redis(url);
  return {
    count: async () => Number((await redis.hget(store.keys.counts(), "default|COMPLETED")) ?? 0),
    close: async () => void (await redis.quit()),
  };
}

async function bullProducer(url: string): Promise<Producer> {
  const queue = new Queue(BENCH_NAMESPACE, { connection: redisEndpoint(url) });
  await queue.waitUntilReady();
  return {
    enqueueOne: async (payload) => void (await queue.add("noop", payload)),
    enqueueBulk: async (payloads) => void (await queue.addBulk(payloads.map((data) => ({ name: "noop", data })))),
    completed: async () => queue.getCompletedCount(),
    close: async () => queue.close(),
  };
}
