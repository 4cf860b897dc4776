// Health of the whole system as the server sees it: the store answers, workers are alive,
// it takes writes (not full), and every queue with waiting jobs has a worker. The check races a
// deadline, so a hung store makes the answer "down" in time instead of hanging the probe.
import type { Client } from "../core/client.js";
import { unattendedQueueStats } from "../core/worker-registry.js";

/** The health verdict and why. */
export interface HealthReport {
  status: "ok" | "degraded" | "down";
  reasons: string[];
  store: string;
  live_workers?: number;
  /** What the store says of itself (server version, durability settings, pool), keys in snake_case. */
  store_details?: Record<string, unknown>;
}

/** Deadline of the store checks; the whole answer stays well under the 2 s promise. */
export const HEALTH_DEADLINE_MS = 1500;

class Deadline {
  constructor(readonly ms: number) {}
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | Deadline> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Deadline>((resolve) => {
    timer = setTimeout(() => resolve(new Deadline(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Checks the store, the live workers and the queues; never takes longer than `deadlineMs`. */
export async function checkHealth(client: Client, workerTtlMs: number, deadlineMs = HEALTH_DEADLINE_MS): Promise<HealthReport> {
  const store = client.storeKind;
  let outcome;
  try {
    outcome = await withDeadline(Promise.all([client.storeHealth(), client.workers(workerTtlMs), client.stats()]), deadlineMs);
  } catch (error) {
    return { status: "down", store, reasons: [`the store failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (outcome instanceof Deadline) {
    return { status: "down", store, reasons: [`the store did not answer within ${outcome.ms} ms`] };
  }
  const [health, workers, stats] = outcome;
  if (!health.ok) return { status: "down", store, reasons: ["the store is unreachable", ...health.warnings] };
  // A full store (Redis at maxmemory, a full disk) is "degraded", not "down": it still answers
  // reads, and a 503 would take every API replica out of its load balancer (or restart it)
  // for a condition no restart cures. The reason comes first: it stops every worker.
  const reasons = [...(health.writesRefused === undefined ? [] : [health.writesRefused]), ...health.warnings];
  if (workers.length === 0) reasons.push("no live worker");
  if (workers.length > 0) {
    for (const queue of unattendedQueueStats(stats, workers)) {
      reasons.push(`${queue.counts.QUEUED} job(s) wait on queue "${queue.queue}", which no live worker listens to`);
    }
  }
  return { status: reasons.length === 0 ? "ok" : "degraded", store, reasons, live_workers: workers.length, store_details: snakeKeys(health.details) };
}

/** The store's details with snake_case keys, as the API speaks. */
function snakeKeys(details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}
