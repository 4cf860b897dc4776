// The Python package against a real `caudex serve` (the built CLI) on SQLite and on a private
// Redis: the producer client, the worker's settlements, retries and signals, and its faults —
// killed with SIGKILL mid-run beside a Node worker, stopped (SIGSTOP) past its lease, canceled
// from the CLI while its task runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, runCli, startCli, type CliProcess } from "../support/cli.js";
import { PY_FULL_TOKEN, PY_WORKER_TOKEN, pythonAvailable, startPython, startPythonWorker, startServe, type PythonProcess, type Served } from "../support/python.js";
import { RedisServer, redisServerAvailable } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

const havePython = pythonAvailable();
const haveRedis = redisServerAvailable();

interface ApiJob {
  job_id: string;
  status: string;
  result: { n?: number; by?: string } | null;
  error: { code: string; message: string } | null;
  attempt: number;
  worker: string | null;
}

const stores = [
  { name: "sqlite", skip: !havePython },
  { name: "redis", skip: !havePython || !haveRedis },
] as const;

describe.each(stores)("the Python package on $name", ({ name, skip }) => {
  const dir = mkdtempSync(join(tmpdir(), `caudex-python-${name}-`));
  const storeEnv: Record<string, string> = {};
  const children: Array<CliProcess | PythonProcess> = [];
  let redis: RedisServer | null = null;
  let served: Served;

  beforeAll(async () => {
    if (skip) return;
    await buildCli();
    if (name === "redis") {
      redis = await RedisServer.start();
      storeEnv.REDIS_URL = redis.url;
    } else {
      storeEnv.CAUDEX_DB = join(dir, "caudex.db");
    }
    served = await startServe(storeEnv);
    children.push(served.server);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.process.kill("SIGKILL");
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${served.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${PY_FULL_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as T;
  };
  const enqueue = (task: string, payload: unknown, extra: object = {}) => api<{ job_id: string }>("POST", "/jobs", { task, payload, ...extra }).then((r) => r.job_id);
  const job = (id: string) => api<ApiJob>("GET", `/jobs/${id}`);
  const worker = (flags: readonly string[], env: Record<string, string> = {}): PythonProcess => {
    const child = startPythonWorker(served.url, flags, env);
    children.push(child);
    return child;
  };
  const nodeWorker = (flags: readonly string[]): CliProcess => {
    const child = startCli(["worker", "--tasks", "test/fixtures/python/node_tasks.mjs", ...flags], { env: storeEnv });
    children.push(child);
    return child;
  };

  it.skipIf(skip)("enqueues, reads and waits from Python, with the API's error codes", async () => {
    const py = worker(["--name", `py-producer-${name}`, "--queues", "default", "--concurrency", "2"]);
    await py.waitForOutput(/worker py-producer-\S+ running tasks/);
    const producer = startPython(["producer.py"], { CAUDEX_URL: served.url, INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN, CAUDEX_WORKER_TOKEN: PY_WORKER_TOKEN });
    expect(await producer.exited, producer.output()).toBe(0);
    const out = JSON.parse(producer.output().trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
    expect(out).toEqual({
      enqueued: { status: "QUEUED", id_prefix: "job_" },
      idempotent: true,
      got: { task: "double", queue: "default", meta: { project_id: "42" }, max_attempts: 2 },
      waited: { status: "COMPLETED", result: { n: 42, by: "python" }, worker: `py-producer-${name}` },
      missing: { code: "JOB_NOT_FOUND", status: 404 },
      bad: { code: "BAD_REQUEST", status: 400 },
      wait_timeout: "WAIT_TIMEOUT",
      worker_token_enqueue: { code: "FORBIDDEN", status: 403 },
    });
    py.process.kill("SIGTERM");
    expect(await py.exited, py.output()).toBe(0);
  }, 60_000);

  it.skipIf(skip)("fails a task's error by the core's retry rule: retried while attempts remain, at once for good when not retryable", async () => {
    const retried = await enqueue("broken", {}, { queue: "py-retry", max_attempts: 2 });
    const permanent = await enqueue("broken", { permanent: true }, { queue: "py-retry", max_attempts: 3 });
    const py = worker(["--name", `py-retry-${name}`, "--queues", "py-retry", "--token", PY_WORKER_TOKEN], { INTERNAL_SERVICE_TOKEN: "" });
    await waitFor(async () => (await job(retried)).status === "FAILED" && (await job(permanent)).status === "FAILED", { timeoutMs: 20_000, what: "both jobs failed" });
    expect(await job(retried)).toMatchObject({ attempt: 2, error: { code: "TASK_ERROR", message: "broken on purpose" } });
    expect(await job(permanent)).toMatchObject({ attempt: 1, error: { code: "TASK_ERROR", message: "permanently broken" } });
    py.process.kill("SIGTERM");
    expect(await py.exited).toBe(0);
  }, 60_000);

  // Limits and postponements over HTTP, on each store (the store contract covers their rules).
  it.skipIf(skip)("puts a job off uncounted when a task raises RetryAfter, and enqueues with limit_keys", async () => {
    const producer = startPython(["-c", 'import os, caudex; print(caudex.Client(os.environ["CAUDEX_URL"], os.environ["INTERNAL_SERVICE_TOKEN"]).enqueue("busy_upstream", {"times": 2}, queue="py-later", max_attempts=1, limit_keys={"per-project": "42"}).id)'], {
      CAUDEX_URL: served.url,
      INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN,
    });
    expect(await producer.exited, producer.output()).toBe(0);
    const id = producer.output().trim().split("\n").pop() ?? "";
    expect(await api("GET", `/jobs/${id}`)).toMatchObject({ limit_keys: [{ name: "per-project", key: "42" }], postponements: 0 });
    const py = worker(["--name", `py-later-${name}`, "--queues", "py-later"]);
    await waitFor(async () => (await job(id)).status === "COMPLETED", { timeoutMs: 20_000, what: "the postponed job to complete" });
    // max_attempts 1: only uncounted attempts could have let it run three times.
    expect(await api("GET", `/jobs/${id}`)).toMatchObject({ status: "COMPLETED", attempt: 1, postponements: 2, result: { put_off: 2 } });
    py.process.kill("SIGTERM");
    expect(await py.exited).toBe(0);
  }, 60_000);

  it.skipIf(skip)("shares jobs with a Node worker; killed with SIGKILL mid-run, its jobs run again within the lease and none is lost", async () => {
    const queue = "shared";
    const ids = await Promise.all(Array.from({ length: 300 }, (_, n) => enqueue("double", { n, ms: 10 }, { queue })));
    const py = worker(["--name", `py-shared-${name}`, "--queues", queue, "--concurrency", "8", "--lease", "2s"]);
    const node = nodeWorker(["--name", `node-shared-${name}`, "--queues", queue, "--concurrency", "4"]);
    // Killed while it holds jobs: once it has completed some, it is busy with the next ones.
    await waitFor(async () => (await Promise.all(ids.slice(0, 60).map(job))).filter((j) => j.worker === `py-shared-${name}` && j.status === "COMPLETED").length >= 5, { timeoutMs: 20_000, what: "the Python worker's first completions" });
    py.process.kill("SIGKILL");
    await waitFor(async () => (await Promise.all(ids.map(job))).every((j) => j.status === "COMPLETED"), { timeoutMs: 60_000, intervalMs: 250, what: "every job COMPLETED" });
    const jobs = await Promise.all(ids.map(job));
    // One result per job, the one its task computed: a late duplicate would have been refused.
    expect(jobs.map((j) => j.result?.n)).toEqual(ids.map((_, n) => n * 2));
    const byWorker = new Set(jobs.map((j) => j.worker));
    expect(byWorker).toEqual(new Set([`py-shared-${name}`, `node-shared-${name}`]));
    node.process.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 120_000);

  it.skipIf(skip)("refuses the late completion of a Python worker stopped past its lease; the job keeps the other attempt's result", async () => {
    const queue = "paused";
    const id = await enqueue("slow", { ms: 1500 }, { queue });
    const py = worker(["--name", `py-paused-${name}`, "--queues", queue, "--lease", "1500ms"]);
    await waitFor(async () => (await job(id)).status === "PROCESSING", { what: "the Python worker's claim" });
    py.process.kill("SIGSTOP");
    const node = nodeWorker(["--name", `node-paused-${name}`, "--queues", queue]);
    await waitFor(async () => (await job(id)).status === "COMPLETED", { timeoutMs: 20_000, what: "the Node worker's completion after lease recovery" });
    py.process.kill("SIGCONT");
    // Resumed, it either settles (refused: 409 LEASE_LOST) or hears first from its heartbeat that the job is gone.
    await py.waitForOutput(/lease lost on job|was taken over/);
    expect(await job(id)).toMatchObject({ status: "COMPLETED", result: { by: "node" }, worker: `node-paused-${name}` });
    py.process.kill("SIGTERM");
    node.process.kill("SIGTERM");
    expect(await py.exited).toBe(0);
    expect(await node.exited).toBe(0);
  }, 60_000);

  it.skipIf(skip)("delivers a cancel from the CLI to a running Python task at its next heartbeat", async () => {
    const queue = "cancels";
    const id = await enqueue("until_stopped", null, { queue });
    const py = worker(["--name", `py-cancel-${name}`, "--queues", queue, "--lease", "3s"]);
    await py.waitForOutput(new RegExp(`task started on job ${id}`));
    const canceled = await runCli(["cancel", id], { env: storeEnv });
    expect(canceled.code, canceled.stderr).toBe(0);
    await py.waitForOutput(new RegExp(`task saw the stop of job ${id}: canceled`), 10_000);
    expect((await job(id)).status).toBe("CANCELED");
    py.process.kill("SIGTERM");
    expect(await py.exited).toBe(0);
  }, 60_000);

  it.skipIf(skip)("stops a task past its timeout: the task is told and the job fails with TIMEOUT", async () => {
    const id = await enqueue("until_stopped", null, { queue: "timeouts", timeout: 1 });
    const py = worker(["--name", `py-timeout-${name}`, "--queues", "timeouts"]);
    await py.waitForOutput(new RegExp(`task saw the stop of job ${id}: timeout`), 15_000);
    await waitFor(async () => (await job(id)).status === "FAILED", { what: "the timeout's failure" });
    expect((await job(id)).error?.code).toBe("TIMEOUT");
    py.process.kill("SIGTERM");
    expect(await py.exited).toBe(0);
  }, 60_000);

  it.skipIf(skip)("finishes its running job on SIGTERM, exits after --max-jobs, and leaves with --burst once the queue is empty", async () => {
    const slow = await enqueue("slow", { ms: 800 }, { queue: "warm" });
    const py = worker(["--name", `py-warm-${name}`, "--queues", "warm"]);
    await waitFor(async () => (await job(slow)).status === "PROCESSING", { what: "the slow job's start" });
    py.process.kill("SIGTERM");
    expect(await py.exited, py.output()).toBe(0);
    expect((await job(slow)).status).toBe("COMPLETED");

    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => enqueue("double", { n }, { queue: "bounded" })));
    const bounded = worker(["--name", `py-max-${name}`, "--queues", "bounded", "--max-jobs", "3", "--concurrency", "1"]);
    expect(await bounded.exited, bounded.output()).toBe(0);
    expect((await Promise.all(ids.map(job))).filter((j) => j.status === "COMPLETED")).toHaveLength(3);

    const burst = worker(["--name", `py-burst-${name}`, "--queues", "bounded", "--burst"]);
    expect(await burst.exited, burst.output()).toBe(0);
    expect((await Promise.all(ids.map(job))).every((j) => j.status === "COMPLETED")).toBe(true);
  }, 60_000);
});
