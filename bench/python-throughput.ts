// Throughput of one Python worker process over HTTP (the worker protocol, `caudex serve` on a
// private Redis) at concurrency 1 and 16, beside RQ's SimpleWorker on the same no-op task and
// the same Redis in the same run. Each side drains N waiting jobs; the clock runs from the
// worker's spawn to its exit (--burst), start-up included. Never part of npm test.
//   npm run bench:python -- [--jobs 2000] [--rounds 3]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "../src/core/client.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { startCli } from "../test/support/cli.js";
import { PY_FULL_TOKEN, PYTHON, PYTHON_PATH, startPythonWorker } from "../test/support/python.js";
import { RedisServer } from "../test/support/redis-server.js";
import { machineReport } from "./machine.js";

const { values } = parseArgs({ options: { jobs: { type: "string" }, rounds: { type: "string" } } });
const JOBS = Number(values.jobs ?? 2000);
const ROUNDS = Number(values.rounds ?? 3);
const NAMESPACE = "pybench";

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function caudexRound(redisUrl: string, serveUrl: string, client: Client, concurrency: number): Promise<number> {
  for (let done = 0; done < JOBS; done += 1000) {
    await client.enqueueMany(Array.from({ length: Math.min(1000, JOBS - done) }, (_, n) => ({ task: "noop", payload: done + n, options: { queue: "default" } })));
  }
  const started = performance.now();
  const worker = startPythonWorker(serveUrl, ["--tasks", "bench_tasks", "--queues", "default", "--concurrency", String(concurrency), "--burst", "--name", `py-bench-${concurrency}`, "--log-level", "warning"], {
    PYTHONPATH: [join(import.meta.dirname, "python"), PYTHON_PATH].join(":"),
  });
  worker.process.stdout?.resume();
  const code = await worker.exited;
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`python worker exited ${code}: ${worker.output()}`);
  const stats = await client.stats();
  const completed = stats.reduce((sum, s) => sum + s.counts.COMPLETED, 0);
  if (completed < JOBS) throw new Error(`only ${completed} of ${JOBS} jobs completed (${redisUrl}): ${worker.output()}`);
  await client.purgeFinished({ status: "COMPLETED" });
  return JOBS / seconds;
}

function rqRound(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(import.meta.dirname, "python/rq_bench.py"), String(port), String(JOBS)], {
      cwd: join(import.meta.dirname, "python"),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONPATH: [join(import.meta.dirname, "python"), PYTHON_PATH].join(":") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`rq_bench.py exited ${code}: ${err}`));
      const { jobs, seconds } = JSON.parse(out.trim()) as { jobs: number; seconds: number };
      resolve(jobs / seconds);
    });
  });
}

const redis = await RedisServer.start();
const store = await RedisStore.connect({ url: redis.url, namespace: NAMESPACE });
const client = new Client({ store });
const serve = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--namespace", NAMESPACE], {
  env: { REDIS_URL: redis.url, INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN },
});
try {
  const [, url] = await serve.waitForOutput(/serving the API on (http:\/\/\S+)/);
  const results: Record<string, number[]> = { "caudex c=1": [], "caudex c=16": [], "rq SimpleWorker": [] };
  let rqProblem: string | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    results["caudex c=1"]?.push(await caudexRound(redis.url, url as string, client, 1));
    results["caudex c=16"]?.push(await caudexRound(redis.url, url as string, client, 16));
    try {
      results["rq SimpleWorker"]?.push(await rqRound(redis.port));
    } catch (error) {
      rqProblem = String(error);
    }
  }
  console.log(machineReport());
  console.log(`- command: npm run bench:python -- --jobs ${JOBS} --rounds ${ROUNDS}`);
  console.log("\n| worker | jobs/s (median of rounds) | rounds |\n|---|---:|---|");
  for (const [name, rates] of Object.entries(results)) {
    if (rates.length === 0) continue;
    console.log(`| ${name} | ${median(rates).toFixed(0)} | ${rates.map((r) => r.toFixed(0)).join(", ")} |`);
  }
  const rq = results["rq SimpleWorker"] ?? [];
  if (rq.length > 0) {
    for (const name of ["caudex c=1", "caudex c=16"]) console.log(`\n${name} / rq SimpleWorker: ${(median(results[name] ?? []) / median(rq)).toFixed(2)}×`);
  } else {
    console.log(`\nRQ could not run: ${rqProblem ?? "unknown"}`);
  }
} finally {
  serve.process.kill("SIGTERM");
  await serve.exited;
  await client.close();
  await redis.stop();
}
