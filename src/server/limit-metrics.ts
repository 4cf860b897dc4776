// Prometheus gauges of per-key limits (decision 0023), per limit name and never per key (keys
// are tenants: unbounded cardinality). Read from client.limits pages at scrape time, at most
// LIMIT_KEYS_PER_SCRAPE keys, so a store with a million keys still answers a scrape quickly.
import type { Client } from "../core/client.js";
import { CaudexError } from "../core/errors.js";
import { JOB_BOUNDS } from "../core/job-rules.js";
import { GaugeSnapshot } from "./metrics.js";

/** Most (name, key) pairs one scrape reads, in (name, key) order; past it the sums are partial. */
export const LIMIT_KEYS_PER_SCRAPE = 1000;

interface NameTotals {
  keys: number;
  running: number;
  waiting: number;
  atLimit: number;
}

/** Per limit name: keys listed, running and waiting jobs, keys at their limit; and whether the read stopped short. */
export async function limitGauges(client: Client): Promise<GaugeSnapshot[]> {
  const totals = new Map<string, NameTotals>();
  let cursor: string | null = null;
  let read = 0;
  try {
    do {
      const page = await client.limits.list({ limit: Math.min(JOB_BOUNDS.maxListLimit, LIMIT_KEYS_PER_SCRAPE - read), cursor });
      for (const usage of page.limits) {
        const entry = totals.get(usage.name) ?? { keys: 0, running: 0, waiting: 0, atLimit: 0 };
        entry.keys += 1;
        entry.running += usage.running;
        entry.waiting += usage.waiting;
        if (usage.atLimit) entry.atLimit += 1;
        totals.set(usage.name, entry);
      }
      read += page.limits.length;
      cursor = page.nextCursor;
    } while (cursor !== null && read < LIMIT_KEYS_PER_SCRAPE);
  } catch (error) {
    // A store that keeps no limits has none to report; any other error fails the scrape as the other gauges do.
    if (error instanceof CaudexError && error.code === "INVALID_OPTIONS") return [];
    throw error;
  }
  const samples = (pick: (t: NameTotals) => number) => [...totals].map(([limit, t]) => ({ labels: { limit }, value: pick(t) }));
  const partial = `Summed over the first ${LIMIT_KEYS_PER_SCRAPE} keys in (name, key) order (see caudex_limit_keys_truncated).`;
  return [
    new GaugeSnapshot("caudex_limit_keys", `Keys of the limit with a running or waiting job or an override. ${partial}`, samples((t) => t.keys)),
    new GaugeSnapshot("caudex_limit_running", `Jobs holding a slot of the limit, over all its keys. ${partial}`, samples((t) => t.running)),
    new GaugeSnapshot("caudex_limit_waiting", `QUEUED jobs waiting in the lanes of the limit's keys (jobs whose first limit it is). ${partial}`, samples((t) => t.waiting)),
    new GaugeSnapshot("caudex_limit_keys_at_limit", `Keys of the limit that cannot start a job now (concurrency full or no rate token). ${partial}`, samples((t) => t.atLimit)),
    new GaugeSnapshot("caudex_limit_keys_truncated", `1 when more than ${LIMIT_KEYS_PER_SCRAPE} keys exist and the caudex_limit_* sums cover only the first ${LIMIT_KEYS_PER_SCRAPE}.`, [{ labels: {}, value: cursor === null ? 0 : 1 }]),
  ];
}
