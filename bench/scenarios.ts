// The benchmark scenarios. Each starts from an empty store, runs one system, and returns named
// figures; the same code measures Caudex (Redis or SQLite) and BullMQ.
import type { Json } from "../src/core/job.js";
import type { RedisProbe } from "./redis-probe.js";
import { percentile, wallMs } from "./stats.js";
import { openProducer, type Producer, type SystemName, type Target } from "./systems.js";
import { WorkerProcesses } from "./worker-processes.js";

/** Where a scenario runs: a way to get an empty store, and a Redis probe when there is one. */
export interface Bed {
  system: SystemName;
  fresh(): Promise<Target>;
  probe: RedisProbe | null;
}

/** Figures of one scenario run, by metric key. */
export type Figures = Record<string, number>;

/** A scenario: a name and how to run it once for one system with `jobs` jobs. */
export interface Scenario {
  name: string;
  redisOnly?: boolean;
  run(bed: Bed, jobs: number): Promise<Figures>;
}

/** The small JSON payload of every benchmark job. */
export const PAYLOAD = { projectId: "42", userId: "7", kind: "report", pages: [1, 2, 3] } satisfies Json;
const CHUNK = 1000;
const POLL_MS = 5;
const MEMORY_SETTLE_MS = 500;
const LATENCY_JOBS = 1000;
const LATENCY_SPACING_MS = 5;
const MEMORY_JOBS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function withProducer<T>(bed: Bed, fn: (producer: Producer, target: Target) => Promise<T>): Promise<T> {
  const target = await bed.fresh();
  const producer = await openProducer(target);
  try {
    return await fn(producer, target);
  } finally {
    await producer.close();
  }
}

/** Enqueues `jobs` jobs in bulk chunks. */
export async function fill(producer: Producer, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += CHUNK) await producer.enqueueBulk(Array.from({ length: Math.min(CHUNK, jobs - i) }, () => PAYLOAD));
}

/** Polls until `jobs` have completed; returns how many polls it took. */
async function untilCompleted(producer: Producer, jobs: number): Promise<number> {
  let polls = 1;
  while ((await producer.completed()) < jobs) {
    await sleep(POLL_MS);
    polls += 1;
  }
  return polls;
}

const enqueueOne: Scenario = {
  name: "enqueue",
  run: (bed, jobs) =>
    withProducer(bed, async (producer) => {
      const start = wallMs();
      for (let i = 0; i < jobs; i++) await producer.enqueueOne(PAYLOAD);
      return { enqueueOne: jobs / ((wallMs() - start) / 1000) };
    }),
};

const enqueueBulk: Scenario = {
  name: "enqueue-bulk",
  run: (bed, jobs) =>
    withProducer(bed, async (producer) => {
      const start = wallMs();
      await fill(producer, jobs);
      return { enqueueBulk: jobs / ((wallMs() - start) / 1000) };
    }),
};

// The poll reads one counter with one command (HGET for Caudex, ZCARD for BullMQ); it is
// subtracted from the command counts so they show only what the system itself sent.
const POLL_COMMAND: Record<SystemName, string> = { caudex: "hget", bullmq: "zcard", sqlite: "" };
const PROBE_COMMANDS = new Set(["info", "config"]);

function drain(name: string, key: string, processes: number, concurrency: number, detailed: boolean): Scenario {
  return {
    name,
    run: (bed, jobs) =>
      withProducer(bed, async (producer, target) => {
        await fill(producer, jobs);
        const workers = await WorkerProcesses.start(processes, { ...target, concurrency, recordLatency: false });
        const probe = detailed ? bed.probe : null;
        await probe?.resetCommandStats();
        const cpuBefore = (await probe?.cpuSeconds()) ?? 0;
        const start = wallMs();
        workers.go();
        const polls = await untilCompleted(producer, jobs);
        const seconds = (wallMs() - start) / 1000;
        const figures: Figures = { [key]: jobs / seconds };
        if (probe !== null) {
          figures.redisCpuPerJob = (((await probe.cpuSeconds()) - cpuBefore) * 1e6) / jobs;
          const counts = await probe.commandCounts();
          let commands = -polls;
          let scripts = 0;
          for (const [command, calls] of counts) {
            if (PROBE_COMMANDS.has(command)) continue;
            commands += calls;
            if (command === "evalsha" || command === "eval") scripts += calls;
          }
          if (!counts.has(POLL_COMMAND[bed.system])) commands += polls;
          figures.commandsPerJob = commands / jobs;
          figures.scriptsPerJob = scripts / jobs;
        }
        const results = await workers.stop();
        if (detailed) figures.workerCpuPerJob = results.cpuMicros / jobs;
        return figures;
      }),
  };
}

const latency: Scenario = {
  name: "latency",
  run: (bed) =>
    withProducer(bed, async (producer, target) => {
      const workers = await WorkerProcesses.start(1, { ...target, concurrency: 1, recordLatency: true });
      workers.go();
      await sleep(300);
      const start = wallMs();
      for (let i = 0; i < LATENCY_JOBS; i++) {
        await sleep(Math.max(0, start + i * LATENCY_SPACING_MS - wallMs()));
        await producer.enqueueOne({ ...PAYLOAD, t: wallMs() });
      }
      await untilCompleted(producer, LATENCY_JOBS);
      const { latencies } = await workers.stop();
      return { latencyP50: percentile(latencies, 50), latencyP95: percentile(latencies, 95), latencyP99: percentile(latencies, 99) };
    }),
};

const memory: Scenario = {
  name: "memory",
  redisOnly: true,
  run: async (bed, jobs) => {
    const probe = bed.probe;
    if (probe === null) return {};
    const count = Math.min(MEMORY_JOBS, jobs);
    // One job first: what the system sets up once (its scripts, a queue's own keys) is not
    // memory per job. The final reading comes once the producer has gone (withProducer closes
    // it): its connection's buffers (a bulk call's query buffer, hundreds of kilobytes) are
    // Redis memory of the client, not of the stored jobs.
    const before = await withProducer(bed, async (producer) => {
      await producer.enqueueBulk([PAYLOAD]);
      const reading = await probe.usedMemory();
      await fill(producer, count);
      return reading;
    });
    // Let Redis finish growing its key table (its incremental rehash keeps the old table
    // until done, in steps per command and per 100 ms cron tick): steady-state memory only.
    await sleep(MEMORY_SETTLE_MS);
    return { memoryPerJob: ((await probe.usedMemory()) - before) / count };
  },
};

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [
  enqueueOne,
  enqueueBulk,
  drain("drain-c1", "drainC1", 1, 1, false),
  drain("drain-c50", "drainC50", 1, 50, true),
  drain("drain-4p", "drain4p", 4, 50, false),
  latency,
  memory,
];
