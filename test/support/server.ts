// A real HTTP API for tests: buildApp over a real SqliteStore in a temp file, tokens, and a
// real core Worker when a job must run. Nothing is mocked; wrappers only add a behaviour.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Client } from "../../src/core/client.js";
import type { Store } from "../../src/core/store.js";
import { defineTask, TaskRegistry, type TaskDefinition } from "../../src/core/task.js";
import { Worker } from "../../src/core/worker.js";
import { buildApp, type AppDeps } from "../../src/server/app.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";

/** The full-access token of test servers. */
export const FULL_TOKEN = "test-full-token-0123456789";
/** The read-only token of test servers. */
export const READ_TOKEN = "test-read-token-0123456789";
/** The worker token of test servers (the worker protocol only). */
export const WORKER_TOKEN = "test-worker-token-0123456789";
/** Authorization headers for each token. */
export const FULL = { authorization: `Bearer ${FULL_TOKEN}` };
export const READ = { authorization: `Bearer ${READ_TOKEN}` };
export const WORKER = { authorization: `Bearer ${WORKER_TOKEN}` };

/** Tasks the test workers know: one that echoes, one that fails, one that waits for abort. */
export const echoTask = defineTask<{ value?: unknown } | null, unknown>("echo", async (payload) => payload?.value ?? null);
export const failTask = defineTask("fail", async () => {
  throw new Error("boom");
}, { maxAttempts: 1 });
export const blockTask = defineTask("block", async (_payload, ctx) => {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
});
export const validatedTask = defineTask<{ n: number }, number>("validated", async (payload) => payload.n, {
  schema: {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value: unknown) =>
        typeof value === "object" && value !== null && typeof (value as { n?: unknown }).n === "number"
          ? { value: value }
          : { issues: [{ message: "n must be a number", path: ["n"] }] },
    },
  },
});
export const TEST_TASKS: TaskDefinition<never, unknown>[] = [echoTask, failTask, blockTask, validatedTask] as never;

/** A running test server and what it runs on. */
export interface TestServer {
  app: FastifyInstance;
  client: Client;
  store: SqliteStore;
  workers: Worker[];
  /** Starts a real worker on the store; it is stopped by close(). */
  startWorker(options?: { name?: string; queues?: string[] }): Promise<Worker>;
  close(): Promise<void>;
}

/** Options of a test server. */
export interface TestServerOptions {
  /** Validate task names and payloads at the API (the server's --tasks). */
  withTasks?: boolean;
  /** Wraps the real store, e.g. to make one method hang. */
  wrapStore?: (store: SqliteStore) => Store;
  deps?: Partial<AppDeps>;
}

/** Builds the app on a fresh SQLite file with the full, read-only and worker tokens. */
export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "caudex-server-"));
  const store = new SqliteStore({ path: join(dir, "caudex.db"), pollIntervalMs: 10 });
  const client = new Client({ store: options.wrapStore?.(store) ?? store, ...(options.withTasks === true ? { tasks: new TaskRegistry(TEST_TASKS) } : {}) });
  const app = await buildApp({
    client,
    auth: { token: FULL_TOKEN, readonlyToken: READ_TOKEN, workerToken: WORKER_TOKEN },
    ...options.deps,
  });
  const workers: Worker[] = [];
  return {
    app,
    client,
    store,
    workers,
    async startWorker(workerOptions = {}) {
      const worker = new Worker({
        store,
        tasks: TEST_TASKS,
        name: workerOptions.name ?? `test-worker-${workers.length + 1}`,
        queues: workerOptions.queues ?? ["default"],
        idleWaitMs: 20,
        // Short leases heartbeat often (a third of the lease), so the registry shows current jobs soon.
        leaseMs: 600,
        gracePeriodMs: 0,
        maintenance: false,
      });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async close() {
      for (const worker of workers) await worker.stop({ gracePeriodMs: 0 });
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store whose every method delegates to `store`, except those given in `overrides`. */
export function wrapStore(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
