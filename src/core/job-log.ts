// One log line per job as a worker runs it: started (debug), completed with its duration (info),
// retrying (warn) or failed with its code (error). Each level is checked once, when the worker is
// made, so a level that is off costs a branch per job and builds no fields or strings.
import type { ClaimedJob, JobError } from "./job.js";
import { levelEnabled, type Logger } from "./logger.js";

/** The per-job lines of one worker. */
export class JobLog {
  private readonly debugOn: boolean;
  private readonly infoOn: boolean;
  private readonly warnOn: boolean;
  private readonly errorOn: boolean;

  constructor(private readonly log: Logger) {
    this.debugOn = levelEnabled(log, "debug");
    this.infoOn = levelEnabled(log, "info");
    this.warnOn = levelEnabled(log, "warn");
    this.errorOn = levelEnabled(log, "error");
  }

  /** The task is about to run. */
  started(job: ClaimedJob): void {
    if (!this.debugOn) return;
    this.log.debug("job started", { job: job.id, task: job.task, queue: job.queue, attempt: job.attempt });
  }

  /** The task returned; its result is being stored. */
  completed(job: ClaimedJob, durationMs: number): void {
    if (!this.infoOn) return;
    this.log.info("job completed", { job: job.id, task: job.task, queue: job.queue, attempt: job.attempt, durationMs });
  }

  /** The attempt failed: retried (warn) while `retrying`, else the job failed for good (error). */
  failed(job: ClaimedJob, error: JobError, retrying: boolean, durationMs: number): void {
    if (retrying) {
      if (!this.warnOn) return;
      this.log.warn("job failed; retrying", { job: job.id, task: job.task, queue: job.queue, attempt: job.attempt, maxAttempts: job.maxAttempts, code: error.code, error: error.message, durationMs });
      return;
    }
    if (!this.errorOn) return;
    this.log.error("job failed", { job: job.id, task: job.task, queue: job.queue, attempt: job.attempt, maxAttempts: job.maxAttempts, code: error.code, error: error.message, durationMs });
  }
}
