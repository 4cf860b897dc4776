// A real dashboard stack for browser tests: the assets built from source into a temp dir, the
// HTTP API listening on a free port over a real SQLite store, a real Worker, and headless
// Chromium. The app can be closed and listened again on the same port to test reconnects.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser } from "playwright-core";
import { Client } from "../../src/core/client.js";
import { defineTask, type TaskDefinition } from "../../src/core/task.js";
import { Worker } from "../../src/core/worker.js";
import { buildApp } from "../../src/server/app.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";

/** Tokens of the test server. */
export const FULL_TOKEN = "dashboard-full-token-0123456789";
export const READ_TOKEN = "dashboard-read-token-0123456789";
/** Where the browser comes from; tests fail (never skip) under CI=true when it is missing. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const gates = new Map<string, () => void>();
const failedOnce = new Set<string>();

/** Lets a running `gated` job with this key finish. */
export function openGate(key: string): boolean {
  const open = gates.get(key);
  gates.delete(key);
  open?.();
  return open !== undefined;
}

/** Tasks of the test worker. */
export const TASKS = [
  defineTask<{ value?: unknown }, unknown>("echo", async (payload) => payload.value ?? null),
  defineTask<{ key: string }, string>("gated", async (payload, ctx) => {
    await ctx.progress({ step: "waiting for the gate" });
    await new Promise<void>((resolve) => {
      gates.set(payload.key, resolve);
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return `gate ${payload.key} opened`;
  }),
  defineTask("charge_card", async () => {
    throw new Error("card declined: insufficient funds");
  }, { maxAttempts: 1 }),
  defineTask("fail_once", async (_payload, ctx) => {
    if (failedOnce.has(ctx.job.id)) return "ok on retry";
    failedOnce.add(ctx.job.id);
    throw new Error("upstream timed out (first attempt)");
  }, { maxAttempts: 1 }),
] as unknown as TaskDefinition<never, unknown>[];

/** The running stack. */
export class DashboardStack {
  app!: FastifyInstance;
  port = 0;
  readonly workers: Worker[] = [];
  private constructor(
    readonly dir: string,
    readonly assets: string,
    readonly store: SqliteStore,
    readonly client: Client,
  ) {}

  /** Builds the assets, opens the store, starts a worker and listens on a free port. */
  static async start(): Promise<DashboardStack> {
    const dir = mkdtempSync(join(tmpdir(), "caudex-dashboard-"));
    const assets = join(dir, "assets");
    execFileSync(process.execPath, ["scripts/build-dashboard.mjs", assets], { stdio: "inherit" });
    const store = new SqliteStore({ path: join(dir, "caudex.db"), pollIntervalMs: 10 });
    const stack = new DashboardStack(dir, assets, store, new Client({ store }));
    await stack.listen(0);
    return stack;
  }

  /** Base URL of the server. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Builds a fresh app and listens on `port` (0: any free one). */
  async listen(port: number): Promise<void> {
    this.app = await buildApp({ client: this.client, auth: { token: FULL_TOKEN, readonlyToken: READ_TOKEN }, dashboard: { root: this.assets }, sseKeepAliveMs: 2000 });
    await this.app.listen({ port, host: "127.0.0.1" });
    const address = this.app.server.address();
    this.port = typeof address === "object" && address !== null ? address.port : port;
  }

  /** Closes the app (ending every open stream) and listens again on the same port. */
  async restart(): Promise<void> {
    await this.app.close();
    await this.listen(this.port);
  }

  /** Starts a real worker on the store. */
  async startWorker(name: string, queues: string[], concurrency = 2): Promise<Worker> {
    const worker = new Worker({ store: this.store, tasks: TASKS, name, queues, concurrency, idleWaitMs: 20, leaseMs: 3000, gracePeriodMs: 0, maintenance: true });
    await worker.start();
    this.workers.push(worker);
    return worker;
  }

  /** Calls the API with the full token, as any script would. */
  async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${FULL_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (response.status === 204 ? null : await response.json()) as T };
  }

  /** Enqueues through the HTTP API and returns the job id. */
  async enqueue(task: string, payload: unknown, extra: Record<string, unknown> = {}): Promise<string> {
    const { status, body } = await this.api<{ job_id: string }>("POST", "/jobs", { task, payload, ...extra });
    if (status !== 201) throw new Error(`enqueue answered ${status}`);
    return body.job_id;
  }

  /** Stops workers, opens every gate, closes the app and store, removes the files. */
  async close(): Promise<void> {
    for (const key of [...gates.keys()]) openGate(key);
    for (const worker of this.workers) await worker.stop({ gracePeriodMs: 0 });
    await this.app.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Launches headless Chromium with a fresh profile and no background network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
  });
}
