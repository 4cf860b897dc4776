// One worker process of a benchmark: runs a Caudex or BullMQ worker with no-op tasks, starts on
// "go", and on "stop" reports its CPU time and (optionally) enqueue-to-start latencies.
import { Worker as BullWorker } from "bullmq";
import { defineTask, RedisStore, SqliteStore, Worker } from "./caudex-build.js";
import { wallMs } from "./stats.js";
import { BENCH_NAMESPACE, redisEndpoint, type Target } from "./systems.js";

/** How the parent configures a worker process (passed as JSON in argv[2]). */
export interface ChildConfig extends Target {
  concurrency: number;
  recordLatency: boolean;
}

/** Messages a worker process sends to the parent. */
export type ChildMessage = { type: "ready" } | { type: "result"; cpuMicros: number; latencies: number[] };

interface RunningWorker {
  start(): void;
  stop(): Promise<void>;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
const latencies: number[] = [];

// The handler is the same for both systems: note the start, return nothing.
function handle(payload: unknown): null {
  if (config.recordLatency) latencies.push(wallMs() - (payload as { t: number }).t);
  return null;
}

async function caudexWorker(): Promise<RunningWorker> {
  const store = config.system === "caudex" ? await RedisStore.connect({ url: config.location, namespace: BENCH_NAMESPACE }) : new SqliteStore({ path: config.location });
  const worker = new Worker({ store, tasks: [defineTask("noop", handle)], concurrency: config.concurrency });
  return {
    start: () => void worker.start(),
    stop: async () => {
      await worker.stop();
      await store.close();
    },
  };
}

async function bullWorker(): Promise<RunningWorker> {
  const worker = new BullWorker(BENCH_NAMESPACE, async (job) => handle(job.data), {
    connection: redisEndpoint(config.location),
    concurrency: config.concurrency,
    autorun: false,
  });
  await worker.waitUntilReady();
  return {
    start: () => void worker.run(),
    stop: () => worker.close(),
  };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

const worker = config.system === "bullmq" ? await bullWorker() : await caudexWorker();
let cpuAtStart = process.cpuUsage();
process.on("message", (message: { type: string }) => {
  if (message.type === "go") {
    cpuAtStart = process.cpuUsage();
    worker.start();
  } else if (message.type === "stop") {
    const cpu = process.cpuUsage(cpuAtStart);
    void worker.stop().finally(() => {
      send({ type: "result", cpuMicros: cpu.user + cpu.system, latencies });
      process.disconnect();
    });
  }
});
send({ type: "ready" });
