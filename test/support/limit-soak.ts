// Fault runs for per-key limits, shared by the e2e test and `npm run chaos:limits`: worker
// processes (test/fixtures/limit-worker.ts) on one Redis or one SQLite file. Fairness: one
// tenant's huge backlog beside small tenants, at most N running per tenant, sampled all along,
// then a worker SIGKILLed and the rest stopped. Rate: starts of a rated task per window.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../src/core/client.js";
import type { Job } from "../../src/core/job.js";
import type { Store } from "../../src/core/store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "./processes.js";
import { RedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/limit-worker.ts");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which store a run uses. */
export type LimitSoakStore = "redis" | "sqlite";

interface Bench {
  store: Store;
  client: Client;
  env: Record<string, string>;
  close(): Promise<void>;
}

async function openBench(kind: LimitSoakStore): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), "caudex-limit-soak-"));
  if (kind === "sqlite") {
    const path = join(dir, "limits.db");
    const store = new SqliteStore({ path });
    return { store, client: new Client({ store }), env: { DB: path }, async close() { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const redis = await RedisServer.start();
  const { RedisStore } = await import("../../src/stores/redis/redis-store.js");
  const store = await RedisStore.connect({ url: redis.url, namespace: "limits" });
  return {
    store, client: new Client({ store }), env: { REDIS_URL: redis.url, NAMESPACE: "limits" },
    async close() { await store.close(); await redis.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

function startWorkers(env: Record<string, string>, count: number): Map<string, Child> {
  const children = new Map<string, Child>();
  for (let i = 0; i < count; i++) children.set(`limits-${i}`, spawnTs(FIXTURE, { ...env, NAME: `limits-${i}` }));
  return children;
}

async function ready(children: Map<string, Child>): Promise<void> {
  for (const [name, child] of children) await waitFor(() => child.output().includes("ready"), { timeoutMs: 30_000, what: `${name} ready` });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** What a fairness run saw. */
export interface FairnessReport {
  store: LimitSoakStore;
  samples: number;
  /** The most jobs of one key seen running in one sample, by key: each must stay at or under the limit. */
  mostRunning: Record<string, number>;
  /** Jobs of the big tenant still waiting when every small tenant had finished: must be over half of them. */
  bigWaitingWhenSmallDone: number;
  smallWaitP50Ms: number;
  smallWaitP99Ms: number;
  /** From the SIGKILL until no job was leased to the dead worker any more (its slots back). */
  recoveredMs: number;
  /** Per key, the slots counted against the jobs really running, after recovery: must match. */
  slotMismatches: string[];
  /** Keys with running > 0 once every worker stopped: must be none. */
  leakedKeys: string[];
}

/** One tenant with `bigJobs` jobs, `smallTenants` with `smallJobs` each, at most `perProject` running per tenant. */
export async function runFairness(kind: LimitSoakStore, options: { bigJobs: number; smallTenants: number; smallJobs: number; perProject: number; workers: number; concurrency: number; taskMs: number; leaseMs: number; timeoutMs: number }): Promise<FairnessReport> {
  const bench = await openBench(kind);
  const env = { ...bench.env, PER_PROJECT: String(options.perProject), CONCURRENCY: String(options.concurrency), TASK_MS: String(options.taskMs), LEASE_MS: String(options.leaseMs) };
  let children = new Map<string, Child>();
  try {
    // The limit as the workers will declare it, so that the backlog is limited from its first claim.
    await bench.client.limits.set("per-project", null, { concurrency: options.perProject });
    const limitKeys = (tenant: string) => ({ limitKeys: { "per-project": tenant }, meta: { projectId: tenant } });
    for (let i = 0; i < options.bigJobs; i += 1000) {
      await bench.client.enqueueMany(Array.from({ length: Math.min(1000, options.bigJobs - i) }, (_, j) => ({ task: "tenant_job", payload: { n: i + j }, options: limitKeys("big") })));
    }
    const small: Job[] = [];
    for (let t = 0; t < options.smallTenants; t++) {
      small.push(...(await bench.client.enqueueMany(Array.from({ length: options.smallJobs }, (_, n) => ({ task: "tenant_job", payload: { n }, options: limitKeys(`small-${t}`) })))));
    }
    children = startWorkers(env, options.workers);
    await ready(children);
    const mostRunning: Record<string, number> = {};
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const page = await bench.client.limits.list({ limit: 100 });
        for (const usage of page.limits) mostRunning[usage.key] = Math.max(mostRunning[usage.key] ?? 0, usage.running);
        samples += 1;
        await sleep(20);
      }
    })();
    const smallIds = small.map((j) => j.id);
    const finished = await waitFor(async () => {
      const jobs = await bench.store.getJobs(smallIds);
      return jobs.every((j) => j.status === "COMPLETED") ? jobs : undefined;
    }, { timeoutMs: options.timeoutMs, intervalMs: 100, what: "every small tenant to finish" });
    const bigWaitingWhenSmallDone = (await bench.client.limits.get("per-project", "big")).waiting;
    const waits = finished.map((j) => (j.startedAt ?? 0) - j.createdAt);

    // SIGKILL one worker: its leases (and their slots) come back within the lease.
    const [victimName, victim] = [...children.entries()][0] as [string, Child];
    const killedAt = Date.now();
    victim.process.kill("SIGKILL");
    await victim.exited;
    children.delete(victimName);
    await waitFor(async () => {
      const held = (await bench.store.listJobs({ status: "PROCESSING" }, 500, null)).jobs.filter((j) => j.worker === victimName);
      return held.length === 0 ? true : undefined;
    }, { timeoutMs: options.leaseMs + 10_000, intervalMs: 50, what: "the dead worker's jobs to be recovered" });
    const recoveredMs = Date.now() - killedAt;
    // Slots against the jobs really running, read while the others still work: stop them first for an exact count.
    for (const child of children.values()) child.process.kill("SIGSTOP");
    const processing = (await bench.store.listJobs({ status: "PROCESSING" }, 500, null)).jobs;
    const slotMismatches: string[] = [];
    for (const usage of (await bench.client.limits.list({ limit: 100 })).limits) {
      const actual = processing.filter((j) => j.limitKeys.some((k) => k.name === usage.name && k.key === usage.key)).length;
      if (actual !== usage.running) slotMismatches.push(`${usage.key}: ${usage.running} counted, ${actual} running`);
    }
    for (const child of children.values()) child.process.kill("SIGCONT");
    sampling = false;
    await sampler;
    // Warm stop: running jobs finish or are handed back, and their slots with them.
    for (const child of children.values()) child.process.kill("SIGTERM");
    await Promise.all([...children.values()].map((c) => c.exited));
    children.clear();
    const leakedKeys = (await bench.client.limits.list({ limit: 100 })).limits.filter((u) => u.running !== 0).map((u) => `${u.key}: ${u.running}`);
    return {
      store: kind, samples, mostRunning, bigWaitingWhenSmallDone,
      smallWaitP50Ms: percentile(waits, 50), smallWaitP99Ms: percentile(waits, 99),
      recoveredMs, slotMismatches, leakedKeys,
    };
  } finally {
    for (const child of children.values()) child.process.kill("SIGKILL");
    await Promise.all([...children.values()].map((c) => c.exited));
    await bench.close();
  }
}

/** What a rate run saw. */
export interface RateReport {
  store: LimitSoakStore;
  started: number;
  /** The most starts in any window of the period (store clock): must be at most limit + burst. */
  mostInAWindow: number;
  allowed: number;
  seconds: number;
}

/** A rated task (`rate` per `periodMs`, `burst`) with far more jobs than it may start, drained by worker processes for `seconds`. */
export async function runRate(kind: LimitSoakStore, options: { seconds: number; rate: number; periodMs: number; burst: number; workers: number }): Promise<RateReport> {
  const bench = await openBench(kind);
  const env = { ...bench.env, RATE: String(options.rate), PERIOD_MS: String(options.periodMs), BURST: String(options.burst) };
  let children = new Map<string, Child>();
  try {
    await bench.client.limits.set("api", null, { rate: { limit: options.rate, periodMs: options.periodMs, burst: options.burst } });
    const total = Math.ceil(((options.seconds * 1000) / options.periodMs) * options.rate * 2) + 100;
    const ids: string[] = [];
    for (let i = 0; i < total; i += 1000) {
      const jobs = await bench.client.enqueueMany(Array.from({ length: Math.min(1000, total - i) }, (_, n) => ({ task: "api_call", payload: { n }, options: { limitKeys: { api: "shared" } } })));
      ids.push(...jobs.map((j) => j.id));
    }
    children = startWorkers(env, options.workers);
    await ready(children);
    await sleep(options.seconds * 1000);
    for (const child of children.values()) child.process.kill("SIGTERM");
    await Promise.all([...children.values()].map((c) => c.exited));
    children.clear();
    const starts: number[] = [];
    for (let i = 0; i < ids.length; i += 1000) for (const job of await bench.store.getJobs(ids.slice(i, i + 1000))) if (job.startedAt !== null) starts.push(job.startedAt);
    starts.sort((a, b) => a - b);
    let most = 0;
    for (let lo = 0, hi = 0; hi < starts.length; hi++) {
      while ((starts[hi] as number) - (starts[lo] as number) >= options.periodMs) lo++;
      most = Math.max(most, hi - lo + 1);
    }
    return { store: kind, started: starts.length, mostInAWindow: most, allowed: options.rate + Math.max(options.burst, 1), seconds: options.seconds };
  } finally {
    for (const child of children.values()) child.process.kill("SIGKILL");
    await Promise.all([...children.values()].map((c) => c.exited));
    await bench.close();
  }
}
