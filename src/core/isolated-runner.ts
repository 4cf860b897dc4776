// The child side of process isolation: loads the tasks module, then runs one job at a time as
// the parent asks, sending progress and the outcome back over IPC. The parent kills this
// process when a job times out, so even a task stuck in a CPU loop cannot hold a worker slot.
import { pathToFileURL } from "node:url";
import { silentLogger } from "./logger.js";
import { isTaskDefinition, type TaskDefinition } from "./task.js";
import { UNKNOWN_TASK_IN_CHILD, type ChildMessage, type ParentMessage } from "./process-pool.js";
import { loadTracing, runInTraceContext } from "./tracing.js";

const tasks = new Map<string, TaskDefinition>();
const pendingProgress = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let progressSeq = 0;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function load(modulePath: string): Promise<void> {
  const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const candidates: unknown[] = [...Object.values(mod), ...(Array.isArray(mod.default) ? (mod.default as unknown[]) : [])];
  if (mod.default !== null && typeof mod.default === "object" && !Array.isArray(mod.default))
    candidates.push(...Object.values(mod.default as Record<string, unknown>));
  for (const value of candidates) if (isTaskDefinition(value)) tasks.set(value.name, value);
}

async function run(message: Extract<ParentMessage, { type: "run" }>): Promise<void> {
  const task = tasks.get(message.job.task);
  if (task === undefined) {
    send({ type: "error", message: `No task named "${message.job.task}" in the tasks module`, name: UNKNOWN_TASK_IN_CHILD });
    return;
  }
  const controller = new AbortController();
  try {
    const result = await runInTraceContext(message.trace, () => task.handler(message.payload, {
      signal: controller.signal,
      log: silentLogger,
      job: message.job,
      progress: (value) =>
        new Promise<void>((resolve, reject) => {
          const seq = ++progressSeq;
          pendingProgress.set(seq, { resolve, reject });
          send({ type: "progress", seq, value });
        }),
      // The child holds no store connection: a task that reads its dependencies or fans out runs in-process.
      dependencies: () => Promise.reject(new Error("ctx.dependencies() is not available under process isolation: run this task in-process")),
      addChildren: () => Promise.reject(new Error("ctx.addChildren() is not available under process isolation: run this task in-process")),
    }));
    send({ type: "result", value: result ?? null });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    send({ type: "error", message: err.message || err.name, name: err.name, ...(err.stack === undefined ? {} : { stack: err.stack }) });
  }
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "run") void run(message);
  else if (message.type === "progress-ack") {
    const pending = pendingProgress.get(message.seq);
    pendingProgress.delete(message.seq);
    if (message.error === undefined) pending?.resolve();
    else pending?.reject(new Error(message.error));
  }
});

const modulePath = process.argv[2];
if (modulePath === undefined) {
  send({ type: "load-error", message: "no tasks module given" });
} else {
  // The tasks module may register an OpenTelemetry SDK; the API is looked for either way.
  Promise.all([load(modulePath), loadTracing()]).then(
    () => send({ type: "ready", tasks: [...tasks.keys()] }),
    (error: unknown) => send({ type: "load-error", message: String(error) }),
  );
}
