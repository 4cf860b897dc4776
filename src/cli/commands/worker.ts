// `caudex worker`: a standalone worker process running the tasks of one module until it is
// stopped, reaches --max-jobs, or (--burst) finds its queues empty.
import { resolve } from "node:path";
import type { Logger } from "../../core/logger.js";
import type { Worker } from "../../core/worker.js";
import { ExitCode, UsageError, flag, intOption, stringOption, type Command } from "../command.js";
import { createLogger, createWorker, moduleScheduleError, openStore } from "../compose.js";
import { formatDuration, parseDurationMs } from "../duration.js";
import { onStopSignals } from "../shutdown.js";
import { loadTaskModule } from "../task-module.js";

/** Default time running jobs get to finish after SIGTERM before they are handed back. */
export const DEFAULT_GRACE_PERIOD_MS = 30_000;
/** The longest grace period a worker takes (as WorkerOptions checks it). */
export const MAX_GRACE_PERIOD_MS = 24 * 3600_000;

/** Wires SIGTERM/SIGINT to a warm stop, then an immediate one. */
export function stopOnSignals(worker: Worker, log: Logger, gracePeriodMs: number, onGraceful?: () => void) {
  const report = (error: unknown) => log.error("worker stop failed", { error: String(error) });
  return onStopSignals({
    graceful: (signal) => {
      log.info(`${signal} received: finishing running jobs (up to ${formatDuration(gracePeriodMs)}); send it again to stop now`);
      onGraceful?.();
      worker.stop().catch(report);
    },
    now: (signal) => {
      log.warn(`${signal} received again: stopping now; running jobs go back to QUEUED`);
      worker.stop({ gracePeriodMs: 0 }).catch(report);
    },
  });
}

/** The `worker` command. */
export const workerCommand: Command = {
  name: "worker",
  summary: "Run a worker: claim jobs from the queues and run their tasks",
  usage: "worker [QUEUE…] --tasks FILE [--name NAME] [--queues high,default] [--concurrency N] [--max-jobs N] [--burst] [--grace-period 30s] [--isolate]",
  details: [
    "Queues may also be given as arguments, in priority order, as with `rq worker high default`:",
    "  caudex worker high default -t ./dist/tasks.js -n worker-1 -c 8",
    "SIGTERM or SIGINT (Ctrl-C) stops gracefully: no new jobs are claimed, running jobs get the",
    "grace period to finish, then go back to QUEUED. A second signal hands them back at once.",
    "--isolate runs tasks in child processes (one per slot, reused): a task stuck in a CPU loop",
    "is killed at its timeout instead of holding the worker.",
  ].join("\n"),
  options: {
    "max-jobs": { type: "string", help: "N  exit after N jobs" },
    burst: { type: "boolean", short: "b", help: "exit as soon as the queues are empty" },
    "grace-period": { type: "string", help: "DURATION  time running jobs get to finish on stop (default 30s)" },
    isolate: { type: "boolean", help: "run each task in a child process that is killed at the job's timeout" },
  },
  positionals: [],
  listPositionals: { name: "QUEUE", setting: "queues" },
  // The retention settings apply to the jobs of the schedules the tasks module declares.
  settings: ["tasksModule", "workerName", "queues", "concurrency", "resultTtlSeconds", "failureTtlSeconds"],
  async run(ctx) {
    const { config } = ctx;
    if (config.tasksModule === null) {
      throw new UsageError("the worker needs a tasks module: --tasks ./dist/tasks.js (or CAUDEX_TASKS)", "worker");
    }
    const maxJobs = intOption(ctx, "max-jobs");
    const grace = stringOption(ctx, "grace-period");
    const gracePeriodMs = grace === undefined ? DEFAULT_GRACE_PERIOD_MS : parseDurationMs(grace, "--grace-period", "worker", MAX_GRACE_PERIOD_MS);
    const module = await loadTaskModule(config.tasksModule, process.cwd());
    const log = createLogger(config);
    const store = await openStore(config);
    try {
      const isolate = flag(ctx, "isolate") ? { isolateModule: resolve(process.cwd(), config.tasksModule) } : {};
      const worker = createWorker(config, store, module, { ...(maxJobs === undefined ? {} : { maxJobs }), burst: flag(ctx, "burst"), gracePeriodMs, ...isolate }, log);
      // The worker upserts the module's schedules as it starts.
      const tasksModule = config.tasksModule;
      await worker.start().catch((error: unknown) => {
        throw moduleScheduleError(error, tasksModule);
      });
      log.info(`worker ${worker.name} running tasks ${module.tasks.names().join(", ")} on ${store.kind}`);
      const signals = stopOnSignals(worker, log, gracePeriodMs);
      try {
        await worker.finished();
      } finally {
        signals.dispose();
      }
    } finally {
      await store.close();
    }
    return ExitCode.ok;
  },
};
