// The long fault run of the Python worker: a Python worker and a Node worker share 5,000 jobs
// through `caudex serve`; the Python worker is SIGKILLed mid-run (and a new one started); at
// the end every job must be COMPLETED with the one result its task computed, and the jobs the
// dead worker held must have run again within the lease (plus a maintenance tick). Also
// measures how long a CLI cancel takes to reach a running Python task. Never part of npm test.
//   npm run chaos:python -- [--store sqlite|redis] [--jobs 5000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCli, startCli, type CliProcess } from "../test/support/cli.js";
import { PY_FULL_TOKEN, startPythonWorker, startServe, type PythonProcess } from "../test/support/python.js";
import { RedisServer } from "../test/support/redis-server.js";
import { waitFor } from "../test/support/wait-for.js";

const { values } = parseArgs({ options: { store: { type: "string" }, jobs: { type: "string" } } });
const STORE = values.store ?? "sqlite";
const JOBS = Number(values.jobs ?? 5000);
const LEASE_MS = 3000;

interface ApiJob {
  job_id: string;
  status: string;
  result: { n?: number } | null;
  worker: string | null;
  started_at: string | null;
  completed_at: string | null;
}

const dir = mkdtempSync(join(tmpdir(), "caudex-python-chaos-"));
const redis = STORE === "redis" ? await RedisServer.start({ appendfsync: "everysec" }) : null;
const storeEnv: Record<string, string> = redis === null ? { CAUDEX_DB: join(dir, "caudex.db") } : { REDIS_URL: redis.url };
const { server, url } = await startServe(storeEnv);
const children: Array<CliProcess | PythonProcess> = [server];
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${PY_FULL_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as T;
};

try {
  const started = performance.now();
  const ids: string[] = [];
  for (let n = 0; n < JOBS; n += 50) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(50, JOBS - n) }, (_, i) => api<{ job_id: string }>("POST", "/jobs", { task: "double", payload: { n: n + i, ms: 5 }, queue: "chaos" }).then((r) => r.job_id)))));
  }
  const py = startPythonWorker(url, ["--name", "py-chaos", "--queues", "chaos", "--concurrency", "8", "--lease", `${LEASE_MS}ms`]);
  const node = startCli(["worker", "--tasks", "test/fixtures/python/node_tasks.mjs", "--name", "node-chaos", "--queues", "chaos", "--concurrency", "4"], { env: storeEnv });
  children.push(py, node);
  const completed = async () => (await api<{ queues: Array<{ queue: string; counts: Record<string, number> }> }>("GET", "/monitoring/queue/stats")).queues.find((q) => q.queue === "chaos")?.counts.COMPLETED ?? 0;
  await waitFor(async () => (await completed()) >= JOBS / 3, { timeoutMs: 300_000, intervalMs: 200, what: "a third of the jobs" });
  py.process.kill("SIGKILL");
  const killedAt = Date.now();
  // What the dead worker held: its jobs still PROCESSING right after the kill.
  const processing = await api<{ jobs: ApiJob[] }>("GET", "/jobs?status=PROCESSING&queue=chaos&limit=500");
  const held = processing.jobs.filter((j) => j.worker === "py-chaos").map((j) => j.job_id);
  const again = startPythonWorker(url, ["--name", "py-chaos-2", "--queues", "chaos", "--concurrency", "8", "--lease", `${LEASE_MS}ms`]);
  children.push(again);
  await waitFor(async () => (await completed()) >= JOBS, { timeoutMs: 600_000, intervalMs: 250, what: "every job" });
  const jobs: ApiJob[] = [];
  for (let i = 0; i < ids.length; i += 100) jobs.push(...(await Promise.all(ids.slice(i, i + 100).map((id) => api<ApiJob>("GET", `/jobs/${id}`)))));
  const wrong = jobs.filter((j, n) => j.status !== "COMPLETED" || j.result?.n !== n * 2);
  const heldJobs = jobs.filter((j) => held.includes(j.job_id));
  const rerunWithinMs = Math.max(0, ...heldJobs.map((j) => Date.parse(j.started_at ?? "") - killedAt));
  const byWorker = new Map<string, number>();
  for (const j of jobs) byWorker.set(j.worker ?? "?", (byWorker.get(j.worker ?? "?") ?? 0) + 1);

  // A cancel from the CLI reaching a running Python task: heartbeats every lease/3. The Node
  // worker lacks that task, so it stops first.
  node.process.kill("SIGTERM");
  await node.exited;
  const cancelJob = (await api<{ job_id: string }>("POST", "/jobs", { task: "until_stopped", payload: null, queue: "chaos" })).job_id;
  await again.waitForOutput(new RegExp(`task started on job ${cancelJob}`), 30_000);
  const cancelSent = performance.now();
  await runCli(["cancel", cancelJob], { env: storeEnv });
  await again.waitForOutput(new RegExp(`task saw the stop of job ${cancelJob}: canceled`), 30_000);
  const cancelMs = performance.now() - cancelSent;

  console.log(`python chaos on ${STORE}: ${JOBS} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s; Python worker SIGKILLed holding ${held.length} job(s)`);
  console.log(`- not COMPLETED or with a result other than their task's: ${wrong.length}`);
  console.log(`- the dead worker's jobs started again at most ${rerunWithinMs} ms after the kill (lease ${LEASE_MS} ms + a maintenance tick)`);
  console.log(`- jobs by worker: ${[...byWorker].map(([w, n]) => `${w} ${n}`).join(", ")}`);
  console.log(`- CLI cancel to the running Python task: ${cancelMs.toFixed(0)} ms (heartbeat every ${LEASE_MS / 3} ms)`);
  process.exitCode = wrong.length === 0 && rerunWithinMs <= LEASE_MS + 2000 ? 0 : 1;
} finally {
  for (const child of children) child.process.kill("SIGKILL");
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}
