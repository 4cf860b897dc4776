// Process isolation for tasks: a pool of long-lived child processes, one per worker slot, each
// running one job at a time. Aborting a job (timeout, cancel, lost lease, forced stop) kills its
// child with SIGKILL and a fresh one takes the slot, so a stuck task never holds the worker.
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClaimedJob, Json } from "./job.js";
import type { TaskContext } from "./task.js";
import { attemptCarrier, type TraceCarrier } from "./tracing.js";

/** Messages from the worker to a child. */
export type ParentMessage =
  | { type: "run"; job: TaskContext["job"] & { task: string }; payload: Json; trace?: TraceCarrier }
  | { type: "progress-ack"; seq: number; error?: string };

/** Messages from a child to the worker. */
export type ChildMessage =
  | { type: "ready"; tasks: string[] }
  | { type: "load-error"; message: string }
  | { type: "progress"; seq: number; value: Json }
  | { type: "result"; value: unknown }
  | { type: "error"; message: string; name: string; stack?: string };

/** Options of process isolation. */
export interface IsolationOptions {
  /** Path of the tasks module each child imports. */
  tasksModule: string;
  /** Node options of the children (default: none; use ["--import", "tsx"] for TypeScript). */
  execArgv?: string[];
}

/** Name of the error a child reports when its tasks module has no task of the job's name. */
export const UNKNOWN_TASK_IN_CHILD = "UnknownTask";

/** The error a task threw in its child process, rebuilt on the worker side. */
export class IsolatedTaskError extends Error {
  constructor(message: string, name: string, stack: string | undefined) {
    super(message);
    this.name = name;
    if (stack !== undefined) this.stack = stack;
  }
}

function runnerPath(): { path: string; execArgv: string[] } {
  const js = fileURLToPath(new URL("./isolated-runner.js", import.meta.url));
  if (existsSync(js)) return { path: js, execArgv: [] };
  // Running from TypeScript sources (tests): the runner needs the tsx loader.
  return { path: fileURLToPath(new URL("./isolated-runner.ts", import.meta.url)), execArgv: ["--import", "tsx"] };
}

/** Children kept ready for the worker's slots. */
export class ProcessPool {
  private readonly idle: ChildProcess[] = [];
  private readonly all = new Set<ChildProcess>();

  constructor(private readonly options: IsolationOptions) {}

  /** Child processes alive (running a job or idle). */
  get size(): number {
    return this.all.size;
  }

  /** Runs the job's handler in a child; rejects with the task's error, or the signal's reason on abort. */
  async run(job: ClaimedJob, ctx: TaskContext): Promise<unknown> {
    ctx.signal.throwIfAborted();
    const child = this.takeIdle() ?? (await this.spawn());
    return new Promise<unknown>((resolve, reject) => {
      const finish = (reuse: boolean, settle: () => void): void => {
        child.off("message", onMessage);
        child.off("exit", onExit);
        ctx.signal.removeEventListener("abort", onAbort);
        if (reuse) this.idle.push(child);
        else this.kill(child);
        settle();
      };
      const onAbort = (): void => finish(false, () => reject(ctx.signal.reason));
      const onExit = (code: number | null, signal: string | null): void =>
        finish(false, () => reject(new Error(`Task process exited (${signal ?? `code ${code}`}) while running the job`)));
      const onMessage = (message: ChildMessage): void => {
        if (message.type === "result") finish(true, () => resolve(message.value));
        else if (message.type === "error")
          finish(true, () => reject(new IsolatedTaskError(message.message, message.name, message.stack)));
        else if (message.type === "progress") {
          ctx.progress(message.value).then(
            () => this.send(child, { type: "progress-ack", seq: message.seq }),
            (error: unknown) => this.send(child, { type: "progress-ack", seq: message.seq, error: String(error) }),
          );
        }
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      // Aborted (timed out) while a child was starting: a listener added now never fires.
      if (ctx.signal.aborted) return onAbort();
      // The attempt's span context, so the task's own spans in the child are its children.
      const trace = attemptCarrier(job);
      this.send(child, { type: "run", job: { ...ctx.job, task: job.task }, payload: job.payload, ...(trace === null ? {} : { trace }) });
    });
  }

  /** Kills every child. */
  close(): void {
    for (const child of this.all) this.kill(child);
    this.idle.length = 0;
  }

  private kill(child: ChildProcess): void {
    this.all.delete(child);
    const i = this.idle.indexOf(child);
    if (i >= 0) this.idle.splice(i, 1);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  /** An idle child that is still alive: one that died while idle is dropped. */
  private takeIdle(): ChildProcess | undefined {
    for (let child = this.idle.pop(); child !== undefined; child = this.idle.pop()) {
      if (child.connected && child.exitCode === null && child.signalCode === null) return child;
      this.kill(child);
    }
    return undefined;
  }

  /** Sends a message unless the child is gone; its exit is handled by the job's listeners. */
  private send(child: ChildProcess, message: ParentMessage): void {
    if (!child.connected) return;
    child.send(message, (error) => {
      // A child killed between the check and the write: its "exit" settles the job.
      if (error !== null) this.kill(child);
    });
  }

  private spawn(): Promise<ChildProcess> {
    const runner = runnerPath();
    const child = fork(runner.path, [this.options.tasksModule], {
      execArgv: this.options.execArgv ?? runner.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.all.add(child);
    // Without a listener, an IPC error (a write to a child that just died) would crash the worker.
    child.on("error", () => this.kill(child));
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        child.off("exit", onExit);
        child.off("message", onMessage);
        if (message.type === "ready") resolve(child);
        else {
          this.kill(child);
          reject(new Error(`Task process could not load ${this.options.tasksModule}: ${message.type === "load-error" ? message.message : message.type}`));
        }
      };
      const onExit = (): void => {
        child.off("message", onMessage);
        this.all.delete(child);
        reject(new Error(`Task process for ${this.options.tasksModule} exited during start`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  }
}
