// Jobs typed by their task: a definition's result type flows to `enqueue`, `getJob` and `wait`.
// Types only, plus the check that a job belongs to the definition it is read with.
import { InvalidOptionsError } from "./errors.js";
import type { Job } from "./job.js";
import type { TaskDefinition } from "./task.js";

/** A job whose `result` has the type its task returns (after its JSON round trip; null until COMPLETED). */
export type JobOf<R> = Omit<Job, "result"> & { result: R | null };

/** The result type of a task definition. */
export type ResultOf<T> = T extends TaskDefinition<never, infer R> ? R : never;

/** Returns `job` typed by `task`, or throws INVALID_OPTIONS when it is another task's job. */
export function asJobOf<R>(job: Job, task: TaskDefinition<never, R>): JobOf<R> {
  if (job.task !== task.name) {
    throw new InvalidOptionsError(`Job ${job.id} belongs to task "${job.task}", not "${task.name}"`);
  }
  return job as JobOf<R>;
}
