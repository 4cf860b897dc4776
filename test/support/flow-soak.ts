// Fault runs for dependencies, shared by the e2e test and `npm run chaos:flows`: worker
// processes (test/fixtures/flow-worker.ts) on one Redis or one SQLite file run a fan-in while
// they are SIGKILLed and restarted, many small flows whose children finish together, and a flow
// canceled while it runs. Each run reports what it counted; the callers assert.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../src/core/client.js";
import { isFinal } from "../../src/core/job-states.js";
import type { Store } from "../../src/core/store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { spawnTs, type Child } from "./processes.js";
import { RedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/flow-worker.ts");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Retries of flaky members come back quickly: the run is about ordering, not backoff.
const QUICK_RETRY = { maxAttempts: 5, backoff: { baseMs: 50, maxMs: 200, factor: 2, jitter: 0 } } as const;

/** Which store a run uses. */
export type SoakStore = "redis" | "sqlite";

/** A store, its environment for worker processes, and how to clean it up. */
interface Bench {
  kind: SoakStore;
  store: Store;
  client: Client;
  env: Record<string, string>;
  out: string;
  close(): Promise<void>;
}

async function openBench(kind: SoakStore): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), "caudex-flow-soak-"));
  const out = join(dir, "starts.log");
  if (kind === "sqlite") {
    const path = join(dir, "flows.db");
    const store = new SqliteStore({ path });
    return {
      kind, store, client: new Client({ store }), env: { DB: path, OUT: out }, out,
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const redis = await RedisServer.start();
  // (Loaded only for Redis runs, as the CLI loads a store's driver only when it is used.)
  const { RedisStore } = await import("../../src/stores/redis/redis-store.js");
  const store = await RedisStore.connect({ url: redis.url, namespace: "flows" });
  return {
    kind, store, client: new Client({ store }), env: { REDIS_URL: redis.url, NAMESPACE: "flows", OUT: out }, out,
    async close() {
      await store.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The start lines of the output file: task, job id, time. */
function starts(out: string): Array<{ task: string; id: string; at: number }> {
  let text: string;
  try {
    text = readFileSync(out, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => /^(head|member|join) /.test(line))
    .map((line) => {
      const [task, id, at] = line.split(" ");
      return { task: task as string, id: id as string, at: Number(at) };
    });
}

/** Worker processes under names that survive restarts (a restart releases the dead one's jobs at once). */
class Workers {
  readonly children = new Map<string, Child>();
  kills = 0;

  constructor(private readonly env: Record<string, string>) {}

  async start(count: number, concurrency: number): Promise<void> {
    for (let i = 0; i < count; i++) this.spawn(`flow-${i}`, concurrency);
    for (const [name, child] of this.children) await waitFor(() => child.output().includes("ready"), { timeoutMs: 30_000, what: `${name} ready` });
  }

  private spawn(name: string, concurrency: number): void {
    this.children.set(name, spawnTs(FIXTURE, { ...this.env, NAME: name, CONCURRENCY: String(concurrency) }));
  }

  /** SIGKILLs one worker at random and starts it again under its name. */
  async killOne(concurrency: number): Promise<void> {
    const names = [...this.children.keys()];
    const name = names[Math.floor(Math.random() * names.length)] as string;
    const child = this.children.get(name) as Child;
    child.process.kill("SIGKILL");
    await child.exited;
    this.kills += 1;
    this.spawn(name, concurrency);
  }

  async stop(): Promise<void> {
    for (const child of this.children.values()) child.process.kill("SIGKILL");
    await Promise.all([...this.children.values()].map((c) => c.exited));
    this.children.clear();
  }
}

/** What a fan-in run counted. */
export interface FanInReport {
  store: SoakStore;
  kills: number;
  members: number;
  membersCompleted: number;
  /** Times the join was queued (its job:enqueued events): must be 1. */
  joinQueued: number;
  /** Times the join's task started, and its stalls (a start killed with its worker). */
  joinStarts: number;
  joinStalls: number;
  /** Results the join saw, of how many dependencies. */
  joinSaw: { results: number; of: number } | null;
  /** The join's claim time against the last member's finish: the first must not come before. */
  joinStartedAt: number | null;
  lastMemberFinishedAt: number;
  seconds: number;
}

/**
 * A → `members` B → C: the head, members that each depend on it (a share of them failing
 * twice before they succeed), and a join that depends on every member, while a worker is
 * SIGKILLed every `killEveryMs` until the join has run.
 */
export async function runFanIn(kind: SoakStore, options: { members: number; flakyShare: number; workers: number; killEveryMs: number; taskMs: number; timeoutMs: number }): Promise<FanInReport> {
  const bench = await openBench(kind);
  const workers = new Workers({ ...bench.env, TASK_MS: String(options.taskMs) });
  const started = Date.now();
  try {
    const head = await bench.client.enqueue("flow_head", {}, QUICK_RETRY);
    const flaky = Math.round(options.members * options.flakyShare);
    const { root: joinJob, jobs } = await bench.client.enqueueFlow({
      task: "flow_join",
      payload: {},
      options: QUICK_RETRY,
      children: Array.from({ length: options.members }, (_, n) => ({ task: "flow_member", payload: { n, flaky: n < flaky }, options: { ...QUICK_RETRY, dependsOn: [head.id] } })),
    });
    await workers.start(options.workers, 10);
    let done = false;
    const killer = (async () => {
      while (!done) {
        await sleep(options.killEveryMs * (0.5 + Math.random()));
        if (!done) await workers.killOne(10);
      }
    })();
    const join = await waitFor(async () => {
      const job = await bench.store.getJob(joinJob.id);
      return job !== null && isFinal(job.status) ? job : undefined;
    }, { timeoutMs: options.timeoutMs, intervalMs: 200, what: "the join to finish" });
    done = true;
    await killer;
    const members = await bench.store.getJobs(jobs.slice(0, -1).map((j) => j.id));
    const events = await bench.store.jobEvents(joinJob.id);
    const saw = readFileSync(bench.out, "utf8").split("\n").find((line) => line.startsWith(`saw ${joinJob.id} `));
    const [, , results, of] = saw?.split(" ") ?? [];
    return {
      store: kind,
      kills: workers.kills,
      members: members.length,
      membersCompleted: members.filter((j) => j.status === "COMPLETED").length,
      joinQueued: events.filter((e) => e.type === "job:enqueued").length,
      joinStarts: starts(bench.out).filter((s) => s.id === joinJob.id).length,
      joinStalls: join.stalls,
      joinSaw: saw === undefined ? null : { results: Number(results), of: Number(of) },
      joinStartedAt: join.startedAt,
      lastMemberFinishedAt: Math.max(...members.map((j) => j.completedAt ?? Infinity)),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await workers.stop();
    await bench.close();
  }
}

/** What a run of many small flows counted. */
export interface ManyFlowsReport {
  store: SoakStore;
  flows: number;
  /** Parents queued once, and started once: both must equal `flows`. */
  parentsQueuedOnce: number;
  parentsStartedOnce: number;
  seconds: number;
  jobsPerSecond: number;
}

/** `flows` flows of a parent and two children, drained by worker processes: each parent must be queued and run exactly once. */
export async function runManyFlows(kind: SoakStore, options: { flows: number; workers: number; concurrency: number; timeoutMs: number }): Promise<ManyFlowsReport> {
  const bench = await openBench(kind);
  const workers = new Workers({ ...bench.env, TASK_MS: "0" });
  try {
    const parents: string[] = [];
    for (let i = 0; i < options.flows; i++) {
      const { root } = await bench.client.enqueueFlow({ task: "flow_join", payload: {}, children: [{ task: "flow_member", payload: { n: 1, flaky: false } }, { task: "flow_member", payload: { n: 2, flaky: false } }] });
      parents.push(root.id);
    }
    const started = Date.now();
    await workers.start(options.workers, options.concurrency);
    await waitFor(async () => {
      const counts = (await bench.store.stats()).reduce((sum, q) => sum + q.counts.COMPLETED, 0);
      return counts >= options.flows * 3 ? true : undefined;
    }, { timeoutMs: options.timeoutMs, intervalMs: 250, what: "every flow to finish" });
    const seconds = (Date.now() - started) / 1000;
    const startCounts = new Map<string, number>();
    for (const s of starts(bench.out)) if (s.task === "join") startCounts.set(s.id, (startCounts.get(s.id) ?? 0) + 1);
    let queuedOnce = 0;
    for (const id of parents) {
      const events = await bench.store.jobEvents(id);
      if (events.filter((e) => e.type === "job:enqueued").length === 1) queuedOnce += 1;
    }
    return {
      store: kind,
      flows: options.flows,
      parentsQueuedOnce: queuedOnce,
      parentsStartedOnce: parents.filter((id) => startCounts.get(id) === 1).length,
      seconds,
      jobsPerSecond: Math.round((options.flows * 3) / seconds),
    };
  } finally {
    await workers.stop();
    await bench.close();
  }
}

/** What a flow canceled while it ran counted. */
export interface CancelReport {
  store: SoakStore;
  jobs: number;
  startedBeforeCancel: number;
  /** Jobs of the flow claimed after the cancel: must be 0. */
  startedAfterCancel: number;
  /** Jobs of the flow not final a moment after the cancel: must be 0. */
  unfinished: number;
}

/** A flow of a join over members that each wait for a head of their own, canceled once some members run. */
export async function runCancelMidFlow(kind: SoakStore): Promise<CancelReport> {
  const bench = await openBench(kind);
  const workers = new Workers({ ...bench.env, TASK_MS: "150" });
  try {
    const { root, jobs } = await bench.client.enqueueFlow({
      task: "flow_join",
      payload: {},
      children: Array.from({ length: 40 }, (_, n) => ({ task: "flow_member", payload: { n, flaky: false }, children: [{ task: "flow_head", payload: {} }] })),
    });
    await workers.start(2, 4);
    await waitFor(() => (starts(bench.out).filter((s) => s.task === "member").length >= 3 ? true : undefined), { timeoutMs: 30_000, what: "some members to start" });
    const cancelAt = (await bench.client.cancel(root.id)).completedAt ?? (await bench.store.now());
    await sleep(1500);
    const after = await bench.store.getJobs(jobs.map((j) => j.id));
    return {
      store: kind,
      jobs: after.length,
      startedBeforeCancel: after.filter((j) => j.startedAt !== null && j.startedAt <= cancelAt).length,
      startedAfterCancel: after.filter((j) => j.startedAt !== null && j.startedAt > cancelAt).length,
      unfinished: after.filter((j) => !isFinal(j.status)).length,
    };
  } finally {
    await workers.stop();
    await bench.close();
  }
}
