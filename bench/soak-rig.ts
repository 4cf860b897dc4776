// One store's side of the soak: a private redis-server or a SQLite file, a real `caudex serve`
// (the built CLI, short retention so that maintenance prunes during the run), two
// `caudex worker` processes, the producer and the open dashboard; and one sample of all of it
// (RSS and CPU of every process, store memory or file sizes, latencies, backlog).
import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, RedisServer } from "../test/support/redis-server.js";
import { waitFor } from "../test/support/wait-for.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist/cli/main.js");
const TASKS = join(import.meta.dirname, "soak-tasks.mjs");
const FULL_TOKEN = "soak-full-token-0123456789abcdef";
const READ_TOKEN = "soak-read-token-0123456789abcdef";
// The kernel's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux).
const CLOCK_TICKS = 100;
// Kept of each process's output, for the message when it dies: enough to see why, bounded.
const OUTPUT_TAIL_CHARS = 16_384;

/** Which store a rig runs. */
export type StoreKind = "redis" | "sqlite";

/** Settings of one rig. */
export interface RigOptions {
  store: StoreKind;
  rate: number;
  resultTtlSeconds: number;
}

/** One child process of the rig with the tail of its output. */
interface Member {
  name: string;
  process: ChildProcess;
  tail: string;
  /** Ended on purpose: its exit is no failure. */
  stopping: boolean;
  cpuTicks: number;
}

/** One sample of a rig: column name → value (NaN when the interval had no data). */
export type Sample = Record<string, number>;

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return line === null ? NaN : Number(line[1]) / 1024;
  } catch {
    return NaN;
  }
}

function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function fileMb(path: string): number {
  return existsSync(path) ? statSync(path).size / 2 ** 20 : 0;
}

/** CPU of the whole machine between two samples (/proc/stat), and its load average. */
export class MachineCpu {
  private last = MachineCpu.read();

  private static read(): { busy: number; total: number } {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((s, v) => s + v, 0);
    // idle and iowait are the 4th and 5th fields: everything else is work.
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  }

  /** Busy percent of all cores since the previous call, the 1-minute load average, the core count. */
  sample(): Sample {
    const now = MachineCpu.read();
    const busy = now.total > this.last.total ? ((now.busy - this.last.busy) / (now.total - this.last.total)) * 100 : NaN;
    this.last = now;
    return { machine_busy_pct: busy, machine_load1: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]), machine_cores: availableParallelism() };
  }
}

const numberOr = (value: unknown): number => (typeof value === "number" ? value : NaN);

/** One store under steady load. */
export class SoakRig {
  readonly members: Member[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "caudex-soak-"));
  private redis: RedisServer | null = null;
  private redisClient: Redis | null = null;
  private baseUrl = "";
  private lastSampleAt = 0;
  private readonly redisCpu = { cpuTicks: 0 };
  /** Set when a process died or a sample failed: the reason, for the verdict. */
  failure: string | null = null;

  constructor(readonly options: RigOptions) {}

  get dbPath(): string {
    return join(this.dir, "caudex.db");
  }

  /** Starts every process and waits until each one is ready. */
  async start(): Promise<void> {
    const env: Record<string, string> = { INTERNAL_SERVICE_TOKEN: FULL_TOKEN, CAUDEX_READONLY_TOKEN: READ_TOKEN, CAUDEX_LOG_LEVEL: "warn" };
    if (this.options.store === "redis") {
      // No persistence: the soak watches memory, and AOF would only add disk writes.
      this.redis = await RedisServer.start();
      this.redisClient = new Redis(this.redis.url, { lazyConnect: true });
      await this.redisClient.connect();
      env.REDIS_URL = this.redis.url;
      env.CAUDEX_NAMESPACE = "soak";
    } else env.CAUDEX_DB = this.dbPath;
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const ttl = String(this.options.resultTtlSeconds);
    this.spawnCli("serve", ["serve", "--host", "127.0.0.1", "--port", String(port), "--result-ttl", ttl, "--failure-ttl", ttl], env);
    await waitFor(async () => (await fetch(`${this.baseUrl}/monitoring/health`)).status > 0, { timeoutMs: 60_000, intervalMs: 200, what: `caudex serve (${this.options.store})` });
    for (const i of [1, 2]) {
      this.spawnCli(`worker_${i}`, ["worker", "--tasks", TASKS, "--queues", "default", "--concurrency", "4", "--name", `soak-${this.options.store}-${i}`], env);
    }
    await waitFor(async () => (await this.readJson<{ workers: unknown[] }>("/monitoring/queue/workers")).workers.length >= 2, { timeoutMs: 60_000, intervalMs: 200, what: `two workers (${this.options.store})` });
    const dashboard = this.forkChild("dashboard", "soak-dashboard.ts", [this.baseUrl, READ_TOKEN]);
    await this.request(dashboard, "ready", null);
    const producer = this.forkChild("producer", "soak-producer.ts", [this.baseUrl, FULL_TOKEN, String(this.options.rate)]);
    await this.request(producer, "ready", null);
    this.lastSampleAt = Date.now();
    this.sampleCpu();
  }

  /** Everything measured since the previous sample. */
  async sample(): Promise<Sample> {
    const sample: Sample = {};
    const producer = await this.request(this.member("producer"), "sample", { type: "sample" });
    const dashboard = await this.request(this.member("dashboard"), "sample", { type: "sample" });
    for (const m of this.members) sample[`rss_${m.name}_mb`] = rssMb(m.process.pid);
    if (this.redis !== null) sample.rss_redis_server_mb = rssMb(this.redis.pid);
    const seconds = (Date.now() - this.lastSampleAt) / 1000;
    this.lastSampleAt = Date.now();
    for (const [name, ticks] of this.sampleCpu()) sample[`cpu_${name}_pct`] = (ticks / CLOCK_TICKS / seconds) * 100;
    if (this.redisClient !== null) {
      const info = await this.redisClient.info("memory");
      sample.redis_used_memory_mb = Number(/used_memory:(\d+)/.exec(info)?.[1]) / 2 ** 20;
    } else {
      sample.sqlite_db_mb = fileMb(this.dbPath);
      sample.sqlite_wal_mb = fileMb(`${this.dbPath}-wal`);
    }
    sample.enqueue_p50_ms = numberOr(producer.p50);
    sample.enqueue_p99_ms = numberOr(producer.p99);
    sample.e2e_p50_ms = numberOr(dashboard.e2eP50);
    sample.e2e_p99_ms = numberOr(dashboard.e2eP99);
    sample.overview_p99_ms = numberOr(dashboard.refreshP99);
    const stats = await this.readJson<{ queues: Array<{ counts: Record<string, number> }> }>("/monitoring/queue/stats");
    const count = (status: string) => stats.queues.reduce((sum, q) => sum + (q.counts[status] ?? 0), 0);
    sample.queued = count("QUEUED");
    sample.completed_kept = count("COMPLETED");
    sample.failed_kept = count("FAILED");
    sample.enqueued_per_s = numberOr(producer.ok) / seconds;
    sample.completed_per_s = numberOr(dashboard.completed) / seconds;
    sample.enqueue_errors = numberOr(producer.errors);
    sample.enqueue_dropped = numberOr(producer.dropped);
    sample.overview_refreshes = numberOr(dashboard.refreshes);
    sample.overview_errors = numberOr(dashboard.refreshErrors);
    sample.events_reconnects = numberOr(dashboard.reconnects);
    const problems = [producer.errors ? `producer: ${String(producer.lastError)}` : "", dashboard.refreshErrors || dashboard.reconnects ? `dashboard: ${String(dashboard.lastError)}` : ""].filter(Boolean);
    if (problems.length > 0) console.error(`${this.options.store}: ${problems.join("; ")}`);
    return sample;
  }

  /** Stops the producer (its totals are returned), lets the backlog drain, then ends everything. */
  async stop(): Promise<Record<string, unknown>> {
    let totals: Record<string, unknown> = {};
    const producer = this.members.find((m) => m.name === "producer");
    if (producer !== undefined && producer.process.exitCode === null && this.failure === null) {
      producer.stopping = true;
      totals = await this.request(producer, "stopped", { type: "stop" }).catch(() => ({}));
      await waitFor(async () => (await this.readJson<{ queues: Array<{ counts: Record<string, number> }> }>("/monitoring/queue/stats")).queues.every((q) => (q.counts.QUEUED ?? 0) + (q.counts.PROCESSING ?? 0) === 0), { timeoutMs: 30_000, intervalMs: 250, what: "the backlog to drain" }).catch(() => undefined);
    }
    for (const m of [...this.members].reverse()) {
      m.stopping = true;
      if (m.process.exitCode !== null) continue;
      const exited = new Promise((resolve) => m.process.once("exit", resolve));
      m.process.kill("SIGTERM");
      const timer = setTimeout(() => m.process.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await this.redisClient?.quit().catch(() => undefined);
    await this.redis?.stop();
    rmSync(this.dir, { recursive: true, force: true });
    return totals;
  }

  private sampleCpu(): Map<string, number> {
    const deltas = new Map<string, number>();
    const all: Array<{ name: string; pid: number | undefined; holder: { cpuTicks: number } }> = this.members.map((m) => ({ name: m.name, pid: m.process.pid, holder: m }));
    if (this.redis !== null) all.push({ name: "redis_server", pid: this.redis.pid, holder: this.redisCpu });
    for (const { name, pid, holder } of all) {
      const now = cpuTicks(pid);
      deltas.set(name, now - holder.cpuTicks);
      holder.cpuTicks = now;
    }
    return deltas;
  }

  private member(name: string): Member {
    const found = this.members.find((m) => m.name === name);
    if (found === undefined) throw new Error(`no ${name} in the ${this.options.store} rig`);
    return found;
  }

  private async readJson<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  private watch(name: string, child: ChildProcess): Member {
    const member: Member = { name, process: child, tail: "", stopping: false, cpuTicks: 0 };
    const keep = (chunk: Buffer) => (member.tail = (member.tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("exit", (code, signal) => {
      if (!member.stopping && this.failure === null) this.failure = `${this.options.store} ${name} exited (${code ?? signal}):\n${member.tail}`;
    });
    this.members.push(member);
    return member;
  }

  private spawnCli(name: string, args: string[], env: Record<string, string>): Member {
    const clean = { ...process.env };
    for (const key of ["REDIS_URL", "CAUDEX_DB", "CAUDEX_TASKS", "CAUDEX_QUEUES", "PORT", "HOST"]) delete clean[key];
    return this.watch(name, spawn(process.execPath, [CLI, ...args], { cwd: this.dir, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
  }

  private forkChild(name: string, file: string, args: string[]): Member {
    return this.watch(name, fork(join(import.meta.dirname, file), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "pipe", "ipc"] }));
  }

  /** Sends `message` (unless null) and resolves with the child's next message of `type`. */
  private request(member: Member, type: string, message: object | null): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        member.process.off("message", onMessage);
        reject(new Error(`${this.options.store} ${member.name} did not answer "${type}" within 30 s:\n${member.tail}`));
      }, 30_000);
      const onMessage = (reply: { type?: string }) => {
        if (reply.type !== type) return;
        clearTimeout(timer);
        member.process.off("message", onMessage);
        resolve(reply);
      };
      member.process.on("message", onMessage);
      if (message !== null) member.process.send(message);
    });
  }
}
