// One job a worker is running: its deadline, whether its outcome still counts, and the context
// its task receives. The AbortController and the task's logger are made only when the task asks
// for them (most tasks never do), so a short job costs no more objects than it needs.
import { CaudexError } from "./errors.js";
import type { ClaimedJob, Json } from "./job.js";
import type { Logger } from "./logger.js";
import type { TaskContext } from "./task.js";

/** Reports a running job's progress under its lease (the store checks the token). */
export type ProgressReporter = (job: ClaimedJob, value: Json) => Promise<void>;

/** A claimed job while its task runs. */
export class RunningJob {
  /** Set once the job is settled, timed out or lost: later outcomes are ignored. */
  done = false;
  readonly deadline: number;
  private controller: AbortController | null = null;
  private abortReason: CaudexError | null = null;

  constructor(readonly job: ClaimedJob) {
    this.deadline = Date.now() + job.timeoutMs;
  }

  /** Aborts the task's signal, now or as soon as the task first reads it. */
  abort(reason: CaudexError): void {
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

  /** The context handed to the task; its logger is a child of `log`, made on first use. */
  context(log: Logger, report: ProgressReporter): TaskContext {
    const { job } = this;
    const signal = (): AbortSignal => this.signal;
    const isDone = (): boolean => this.done;
    let taskLog: Logger | null = null;
    return {
      get signal() {
        return signal();
      },
      progress: async (value: Json) => {
        if (isDone()) throw new CaudexError("LEASE_LOST", `Job ${job.id} is no longer held by this worker`);
        await report(job, value);
      },
      get log() {
        return (taskLog ??= log.child({ job: job.id, task: job.task }));
      },
      job: { id: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, queue: job.queue, meta: job.meta },
    };
  }
}
