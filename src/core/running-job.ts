// The jobs a worker is running: each one's deadline, whether its outcome still counts, and the
// context its task receives. The AbortController and the task's logger are made only when the
// task asks for them (most tasks never do), so a short job costs no more objects than it needs.
import { InvalidOptionsError, LeaseLostError, type CaudexError } from "./errors.js";
import type { ClaimedJob, DependencyOutcome, Job, Json } from "./job.js";
import type { ChildJob, JobLinks } from "./job-links.js";
import type { Logger } from "./logger.js";
import type { TaskContext } from "./task.js";
import { endAttempt } from "./tracing.js";

/** Reports a running job's progress under its lease (the store checks the token). */
export type ProgressReporter = (job: ClaimedJob, value: Json) => Promise<void>;

/** A claimed job while its task runs. */
export class RunningJob {
  /** Set once the job is settled, timed out or lost: later outcomes are ignored. */
  done = false;
  readonly deadline: number;
  private controller: AbortController | null = null;
  private abortReason: CaudexError | null = null;

  /** `startedAt` is the worker's clock reading when the task starts; the timeout counts from it. */
  constructor(
    readonly job: ClaimedJob,
    startedAt: number,
  ) {
    this.deadline = startedAt + job.timeoutMs;
  }

  /** Aborts the task's signal, now or as soon as the task first reads it. */
  abort(reason: CaudexError): void {
    endAttempt(this.job, reason);
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }

  /** The task's signal, made on first use (already aborted if the job was). */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== null) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** The context handed to the task; its parts (logger, progress, job) are made on first use. */
  context(log: Logger, report: ProgressReporter, links: JobLinks | null = null): TaskContext {
    return new JobContext(this, log, report, links);
  }
}

/**
 * The running jobs of one worker, by id. Not a Map: a Map whose keys keep changing (thousands a
 * second, each id added and deleted once) rebuilds its table every few dozen changes, and each
 * dropped table keeps a link to its successor and to the jobs it held, so the young-generation
 * GC copies and promotes a growing chain of dead jobs. On a no-op drain of 100,000 jobs that was
 * 62 MB promoted and a quarter of the worker's CPU; an object without a prototype (a dictionary)
 * has no such chain.
 */
export class RunningJobs {
  #byId: Record<string, RunningJob> = Object.create(null) as Record<string, RunningJob>;
  #size = 0;

  /** How many jobs are running. */
  get size(): number {
    return this.#size;
  }

  add(entry: RunningJob): void {
    if (!(entry.job.id in this.#byId)) this.#size += 1;
    this.#byId[entry.job.id] = entry;
  }

  get(jobId: string): RunningJob | undefined {
    return this.#byId[jobId];
  }

  /** Forgets a job (nothing when it was not running). */
  delete(jobId: string): void {
    if (!(jobId in this.#byId)) return;
    delete this.#byId[jobId];
    this.#size -= 1;
  }

  ids(): string[] {
    return Object.keys(this.#byId);
  }

  /** The running jobs, as a new array (safe to change the set while walking it). */
  list(): RunningJob[] {
    return Object.values(this.#byId);
  }

  clear(): void {
    this.#byId = Object.create(null) as Record<string, RunningJob>;
    this.#size = 0;
  }
}

// The context's own state, under symbols: invisible to Object.keys, JSON and for-in, and still
// found through the prototype chain, so an object built on a context (Object.create, a Proxy)
// reads its fields as the context itself does (#private fields would throw there).
const ENTRY = Symbol("entry");
const PARENT_LOG = Symbol("parentLog");
const REPORT = Symbol("report");
const LOG = Symbol("log");
const PROGRESS = Symbol("progress");
const JOB = Symbol("job");
const LINKS = Symbol("links");

/**
 * A task's context. Its accessors live on the prototype and its parts are made on first read: an
 * object literal with getters, made per job, cost about a fifth of a no-op job's worker CPU.
 * Reading its fields by name or destructuring them works as with a plain object; spreading it
 * (`{ ...ctx }`) copies none of them.
 */
class JobContext implements TaskContext {
  private readonly [ENTRY]: RunningJob;
  private readonly [PARENT_LOG]: Logger;
  private readonly [REPORT]: ProgressReporter;
  private [LOG]: Logger | null = null;
  private [PROGRESS]: ((value: Json) => Promise<void>) | null = null;
  private [JOB]: TaskContext["job"] | null = null;
  private readonly [LINKS]: JobLinks | null;

  constructor(entry: RunningJob, parentLog: Logger, report: ProgressReporter, links: JobLinks | null) {
    this[ENTRY] = entry;
    this[PARENT_LOG] = parentLog;
    this[REPORT] = report;
    this[LINKS] = links;
  }

  get dependencies(): () => Promise<DependencyOutcome[]> {
    return async () => {
      const entry = this[ENTRY];
      if (entry.job.dependsOn.length === 0) return [];
      return this.links().dependencies(entry.job);
    };
  }

  get addChildren(): (children: readonly ChildJob[]) => Promise<Job[]> {
    return async (children) => {
      const entry = this[ENTRY];
      if (entry.done) throw new LeaseLostError(entry.job.id);
      return this.links().addChildren(entry.job, children);
    };
  }

  private links(): JobLinks {
    const links = this[LINKS];
    if (links === null) throw new InvalidOptionsError("This task context has no store to read dependencies from or add children to");
    return links;
  }

  get signal(): AbortSignal {
    return this[ENTRY].signal;
  }

  get log(): Logger {
    const { job } = this[ENTRY];
    return (this[LOG] ??= this[PARENT_LOG].child({ job: job.id, task: job.task }));
  }

  get job(): TaskContext["job"] {
    const { job } = this[ENTRY];
    return (this[JOB] ??= { id: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, queue: job.queue, meta: job.meta });
  }

  get progress(): (value: Json) => Promise<void> {
    return (this[PROGRESS] ??= async (value: Json) => {
      const entry = this[ENTRY];
      if (entry.done) throw new LeaseLostError(entry.job.id);
      await this[REPORT](entry.job, value);
    });
  }
}
