// A fault run for schedules, shared by the e2e test and `npm run chaos:schedules`: worker
// processes on one Redis and on one SQLite file all declare the same schedules; the run SIGKILLs
// and restarts them at random (and, if asked, stops every one of them for an outage), then
// counts the jobs of every fire time on each store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../src/core/client.js";
import { SCHEDULE_BOUNDS } from "../../src/core/job-rules.js";
import type { Job } from "../../src/core/job.js";
import type { Schedule } from "../../src/core/schedule.js";
import { nextFireAfter } from "../../src/core/schedule-timing.js";
import type { Store } from "../../src/core/store.js";
import { RedisStore } from "../../src/stores/redis/redis-store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "./processes.js";
import { RedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/schedule-worker.ts");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long and how hard to shake. */
export interface SoakOptions {
  seconds: number;
  workersPerStore: number;
  /** Mean time between SIGKILLs of one random worker (each restarts at once under its name). */
  killEveryMs: number;
  /** Stop every worker of both stores this long, starting halfway (0: no outage). */
  outageMs: number;
  log?: (line: string) => void;
}

/** What one schedule's fire times got on one store. */
export interface FireCount {
  scheduleId: string;
  expected: number;
  /** Fire times with exactly one job. */
  once: number;
  /** Fire times with two jobs or more: must be 0. */
  duplicated: number;
  /** Fire times without a job that the outage does not explain: must be 0. */
  unexplained: number[];
  /** Fire times the outage missed and catch-up "latest" left out, and how many it should have. */
  outageMissed: number;
  outageMissedExpected: number;
  /** Fire times the outage missed that catch-up made a job for: must be 1 after an outage. */
  caughtUp: number;
}

/** The counts of one store. */
export interface StoreReport {
  store: "redis" | "sqlite";
  kills: number;
  counts: FireCount[];
}

interface Group {
  kind: "redis" | "sqlite";
  env: Record<string, string>;
  workers: { name: string; child: Child }[];
  kills: number;
}

/** Runs the soak and reports the counts per store and schedule. */
export async function runScheduleSoak(options: SoakOptions): Promise<StoreReport[]> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "caudex-schedule-soak-"));
  const redis = await RedisServer.start();
  const groups: Group[] = [
    { kind: "redis", env: { REDIS_URL: redis.url, NAMESPACE: "soak" }, workers: [], kills: 0 },
    { kind: "sqlite", env: { DB: join(dir, "soak.db") }, workers: [], kills: 0 },
  ];
  const start = (group: Group, name: string): Child => spawnTs(FIXTURE, { ...group.env, NAME: name });
  let outage: { from: number; to: number } | null = null;
  try {
    for (const group of groups) {
      for (let i = 0; i < options.workersPerStore; i++) group.workers.push({ name: `${group.kind}-${i}`, child: start(group, `${group.kind}-${i}`) });
    }
    for (const group of groups) for (const w of group.workers) await waitFor(() => w.child.output().includes("ready"), { timeoutMs: 30_000, what: `${w.name} ready` });
    const began = Date.now();
    const end = began + options.seconds * 1000;
    const outageAt = options.outageMs > 0 ? began + (options.seconds * 1000 - options.outageMs) / 2 : Infinity;
    while (Date.now() < end) {
      await sleep(options.killEveryMs * (0.5 + Math.random()));
      if (Date.now() >= outageAt && outage === null) {
        outage = { from: Date.now(), to: 0 };
        log(`outage: every worker SIGKILLed for ${options.outageMs} ms`);
        for (const group of groups) for (const w of group.workers) w.child.process.kill("SIGKILL");
        await sleep(options.outageMs);
        outage.to = Date.now();
        for (const group of groups) for (const w of group.workers) w.child = start(group, w.name);
        continue;
      }
      const group = groups[Math.floor(Math.random() * groups.length)] as Group;
      const victim = group.workers[Math.floor(Math.random() * group.workers.length)];
      if (victim === undefined) continue;
      victim.child.process.kill("SIGKILL");
      group.kills += 1;
      await victim.child.exited;
      victim.child = start(group, victim.name);
    }
    for (const group of groups) for (const w of group.workers) w.child.process.kill("SIGKILL");
    for (const group of groups) for (const w of group.workers) await w.child.exited;
    const reports: StoreReport[] = [];
    for (const group of groups) {
      const store: Store = group.kind === "redis" ? await RedisStore.connect({ url: redis.url, namespace: "soak" }) : new SqliteStore({ path: group.env.DB ?? "" });
      try {
        reports.push({ store: group.kind, kills: group.kills, counts: await countFires(new Client({ store }), outage) });
      } finally {
        await store.close();
      }
      log(`${group.kind}: ${group.kills} kills`);
    }
    return reports;
  } finally {
    for (const group of groups) for (const w of group.workers) w.child.process.kill("SIGKILL");
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function jobsOf(client: Client, scheduleId: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.listJobs({ scheduleId }, { limit: 500, cursor });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return jobs;
}

/** Counts, per schedule, the jobs of every fire time from its first to its last recorded fire. */
async function countFires(client: Client, outage: { from: number; to: number } | null): Promise<FireCount[]> {
  const counts: FireCount[] = [];
  for (const schedule of (await client.schedules.list({ limit: 100 })).schedules) {
    const jobs = await jobsOf(client, schedule.id);
    const perFire = new Map<number, number>();
    for (const job of jobs) if (job.fireAt !== null) perFire.set(job.fireAt, (perFire.get(job.fireAt) ?? 0) + 1);
    counts.push(countOne(schedule, perFire, jobs, outage));
  }
  return counts;
}

// A fire within this much of the grace boundary may fall either side: the tick's clock reading
// and the job's creation time differ by the length of one store call.
const BOUNDARY_MS = 100;

function countOne(schedule: Schedule, perFire: Map<number, number>, jobs: Job[], outage: { from: number; to: number } | null): FireCount {
  // The first tick after the outage: the earliest job made after every worker came back.
  const restart = outage === null ? null : Math.min(...jobs.filter((j) => j.createdAt >= outage.to).map((j) => j.createdAt));
  const missedBefore = restart === null ? -Infinity : restart - SCHEDULE_BOUNDS.misfireGraceMs;
  // The outage's missed fires come after the last fire made before it.
  const before = outage === null ? [] : jobs.filter((j) => j.createdAt < outage.from && j.fireAt !== null).map((j) => j.fireAt as number);
  const lastBefore = before.length === 0 ? -Infinity : Math.max(...before);
  const count: FireCount = { scheduleId: schedule.id, expected: 0, once: 0, duplicated: 0, unexplained: [], outageMissed: 0, outageMissedExpected: 0, caughtUp: 0 };
  const last = schedule.lastFireAt ?? -Infinity;
  const missedZone: number[] = [];
  for (let at = nextFireAfter(schedule.timing, schedule.anchorAt, schedule.anchorAt); at <= last; at = nextFireAfter(schedule.timing, schedule.anchorAt, at)) {
    count.expected += 1;
    const n = perFire.get(at) ?? 0;
    if (n === 1) count.once += 1;
    if (n > 1) count.duplicated += 1;
    const inMissedZone = outage !== null && at > lastBefore && at < missedBefore - BOUNDARY_MS;
    if (inMissedZone) missedZone.push(at);
    else if (n === 0 && !(outage !== null && Math.abs(at - missedBefore) <= BOUNDARY_MS)) count.unexplained.push(at);
  }
  // Catch-up "latest": of the fires missed by the outage, only the latest has a job.
  const made = missedZone.filter((at) => (perFire.get(at) ?? 0) > 0);
  count.caughtUp = made.length;
  count.outageMissed = missedZone.length - made.length;
  count.outageMissedExpected = Math.max(0, missedZone.length - 1);
  return count;
}
