// Worker options: what a worker can be told, its defaults, and the checks applied once at
// construction (every problem listed in one INVALID_OPTIONS error).
import type { Clock } from "./clock.js";
import { JOB_BOUNDS, JOB_DEFAULTS, isValidQueueName } from "./job-rules.js";
import type { ClientDefaults } from "./enqueue-options.js";
import type { Logger } from "./logger.js";
import type { PinoLikeLogger } from "./pino-logger.js";
import type { ScheduleDefinition } from "./schedule.js";
import type { MaintenanceOptions } from "./maintenance.js";
import type { IsolationOptions } from "./process-pool.js";
import type { Store } from "./store.js";
import type { TaskDefinition, TaskRegistry } from "./task.js";

/** Options of a worker. */
export interface WorkerOptions {
  store: Store;
  tasks: TaskRegistry | readonly TaskDefinition<never, unknown>[];
  /** Unique per live worker; a restart under the same name releases the old jobs at once. */
  name?: string;
  /** Queues in strict priority order. */
  queues?: readonly string[];
  concurrency?: number;
  leaseMs?: number;
  /** Stop after claiming this many jobs (and finishing them). */
  maxJobs?: number;
  /** Stop as soon as the queues are empty. */
  burst?: boolean;
  /** How long a graceful stop lets running jobs finish before handing them back. */
  gracePeriodMs?: number;
  /** Longest idle wait between claims when the store cannot signal new work. */
  idleWaitMs?: number;
  /**
   * Run each task in a child process (one per slot, reused), killed on timeout: a task stuck
   * in a CPU loop cannot hold the worker. Off by default (tasks run in this process).
   */
  isolation?: IsolationOptions;
  /** Run the maintenance loop in this worker (default true). */
  maintenance?: boolean | Partial<MaintenanceOptions>;
  /** Where the worker logs, one line per job among others: a Caudex Logger, or a pino instance (fields kept). */
  logger?: Logger | PinoLikeLogger;
  /** Schedules declared next to the tasks (defineSchedule): upserted when the worker starts; an identical one changes nothing. */
  schedules?: readonly ScheduleDefinition[];
  /** Job defaults applied to the declared schedules' jobs (the deployment's retention, say). */
  jobDefaults?: Partial<ClientDefaults>;
  /**
   * What time it is for job timeouts, the stop's grace period and the registry entry (default
   * the system clock). Only readings go through it: the worker's timers stay real timers.
   */
  clock?: Clock;
}

/**
 * Defaults of the optional worker options. A worker in your own process takes the queue the
 * client enqueues to and one job at a time; the `caudex worker` command differs on purpose
 * (high,default and 4 slots: decision 0011).
 */
export const WORKER_DEFAULTS = {
  queues: [JOB_DEFAULTS.queue],
  concurrency: 1,
  leaseMs: 30_000,
  gracePeriodMs: 30_000,
  idleWaitMs: 1000,
};

/** Checks resolved worker settings; returns the problems found. */
export function workerProblems(w: {
  name: string;
  queues: readonly string[];
  concurrency: number;
  leaseMs?: number;
  gracePeriodMs?: number;
  idleWaitMs?: number;
}): string[] {
  const problems: string[] = [];
  const within = (value: number | undefined, what: string, min: number, max: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) problems.push(`${what} must be an integer from ${min} to ${max}`);
  };
  // A lease shorter than 100 ms expires before its first heartbeat (a third of it) can land.
  within(w.leaseMs, "leaseMs", 100, 24 * 3600_000);
  within(w.gracePeriodMs, "gracePeriodMs", 0, 24 * 3600_000);
  within(w.idleWaitMs, "idleWaitMs", 1, 3600_000);
  if (w.name.length === 0 || w.name.length > JOB_BOUNDS.maxWorkerNameLength) problems.push(`name must be 1 to ${JOB_BOUNDS.maxWorkerNameLength} characters`);
  if (w.queues.length === 0) problems.push("queues must not be empty");
  for (const q of w.queues) if (!isValidQueueName(q)) problems.push(`queue "${q}" is not a valid name`);
  if (!Number.isInteger(w.concurrency) || w.concurrency < 1 || w.concurrency > JOB_BOUNDS.maxConcurrency)
    problems.push(`concurrency must be an integer from 1 to ${JOB_BOUNDS.maxConcurrency}`);
  return problems;
}
