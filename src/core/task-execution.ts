// Runs one claimed job's task and turns what happened into an outcome the worker settles:
// a result, or a JobError with whether a retry is allowed. Knows nothing of leases or slots.
import type { ClaimedJob, JobError } from "./job.js";
import { IsolatedTaskError, UNKNOWN_TASK_IN_CHILD, type ProcessPool } from "./process-pool.js";
import { validatePayload, type TaskContext, type TaskRegistry } from "./task.js";
import { RetryAfter, UnrecoverableError } from "./task-errors.js";

/** What running a task came to. */
export type TaskOutcome = { ok: true; result: unknown } | { ok: false; error: JobError; retryable: boolean; postponeMs?: number };

/**
 * Runs `job`'s task with `ctx`, in this process or in `pool`. An unknown task or a payload
 * failing the task's schema is never retried; an error the task throws may be.
 */
export async function executeTask(
  tasks: TaskRegistry,
  job: ClaimedJob,
  ctx: () => TaskContext,
  pool: ProcessPool | null,
  workerName: string,
): Promise<TaskOutcome> {
  const task = tasks.get(job.task);
  if (task === undefined) {
    return { ok: false, retryable: false, error: { code: "UNKNOWN_TASK", message: `No task named "${job.task}" is registered on worker ${workerName}` } };
  }
  try {
    // Most tasks declare no schema: no promise to wait for then.
    if (task.options.schema !== undefined) await validatePayload(task, job.payload);
  } catch (error) {
    return { ok: false, retryable: false, error: { code: "INVALID_PAYLOAD", message: error instanceof Error ? error.message : String(error) } };
  }
  try {
    const context = ctx();
    const result = pool === null ? await task.handler(job.payload, context) : await pool.run(job, context);
    return { ok: true, result };
  } catch (thrown) {
    // The tasks module of an isolated child lacks the task: the same verdict as in-process.
    if (thrown instanceof IsolatedTaskError && thrown.name === UNKNOWN_TASK_IN_CHILD) {
      return { ok: false, retryable: false, error: { code: "UNKNOWN_TASK", message: thrown.message } };
    }
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    const error: JobError = { code: "TASK_ERROR", message: err.message || err.name };
    if (thrown instanceof RetryAfter) return { ok: false, retryable: true, error, postponeMs: thrown.delayMs };
    if (err.stack !== undefined) error.stack = err.stack;
    return { ok: false, retryable: !(thrown instanceof UnrecoverableError), error };
  }
}
