// Starts benchmark worker processes and talks to them: wait until all are ready, start them
// together, stop them and collect what they measured.
import { fork, type ChildProcess } from "node:child_process";
import type { ChildConfig, ChildMessage } from "./worker-child.js";

// BENCH_CPU_PROF_DIR=<dir> makes each worker process write a V8 CPU profile there (--cpu-prof);
// BENCH_NODE_FLAGS adds other Node flags (space-separated, e.g. --heap-prof).
const CHILD = new URL("./worker-child.ts", import.meta.url).pathname;

/** What the processes reported when stopped. */
export interface ProcessResults {
  cpuMicros: number;
  latencies: number[];
}

/** A group of worker processes running the same configuration. */
export class WorkerProcesses {
  private constructor(private readonly children: ChildProcess[]) {}

  /** Forks `count` processes and resolves once each has its worker connected. */
  static async start(count: number, config: ChildConfig): Promise<WorkerProcesses> {
    const children = Array.from({ length: count }, () =>
      fork(CHILD, [JSON.stringify(config)], { execArgv: ["--import", "tsx", ...(process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", "--cpu-prof-dir=" + process.env.BENCH_CPU_PROF_DIR] : []), ...(process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [])], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
    );
    await Promise.all(children.map((child) => nextMessage(child, "ready")));
    return new WorkerProcesses(children);
  }

  go(): void {
    for (const child of this.children) child.send({ type: "go" });
  }

  /** Stops every worker and sums their CPU time; latencies are concatenated. */
  async stop(): Promise<ProcessResults> {
    const replies = this.children.map((child) => nextMessage(child, "result"));
    for (const child of this.children) child.send({ type: "stop" });
    const results = await Promise.all(replies);
    await Promise.all(this.children.map((child) => exited(child)));
    return results.reduce<ProcessResults>(
      (sum, r) => (r.type === "result" ? { cpuMicros: sum.cpuMicros + r.cpuMicros, latencies: sum.latencies.concat(r.latencies) } : sum),
      { cpuMicros: 0, latencies: [] },
    );
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function nextMessage(child: ChildProcess, type: ChildMessage["type"]): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`worker process exited with ${code} before sending "${type}"`));
    };
    const cleanup = (): void => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
