// Errors a task throws to steer its job rather than to report a failure: `RetryAfter` (not now:
// an upstream said 429) hands the attempt back uncounted for a while; `UnrecoverableError` fails
// the job at once, with no retry left. Anything else a task throws is a TASK_ERROR, retried.
import { JOB_BOUNDS } from "./job-rules.js";

/** Thrown by a task: run the job again after `delayMs`, without counting this attempt (at most JOB_BOUNDS.maxPostponements times). */
export class RetryAfter extends Error {
  readonly delayMs: number;

  constructor(delayMs: number, message = `Retry after ${delayMs} ms`) {
    super(message);
    this.name = "RetryAfter";
    // A bad delay would loop at once or park the job for ages: clamp it to a sane range.
    this.delayMs = Number.isFinite(delayMs) ? Math.min(Math.max(Math.round(delayMs), 0), JOB_BOUNDS.maxDelayMs) : 1000;
  }
}

/** Thrown by a task: fail the job now, whatever attempts remain. */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnrecoverableError";
  }
}
