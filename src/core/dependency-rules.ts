// The rules of decision 0018 that every store applies the same way, kept in one place: the
// error of a job a dependency failed, and how a job's dependencies as they stand decide its
// status (stored DEFERRED, failed or canceled by its policy, or free to run). The stores only
// read the statuses and write the outcome; the Redis scripts word the same error (a test checks).
import type { DependencyFailurePolicy, JobError } from "./job.js";
import { isFinal, type JobStatus } from "./job-states.js";

/** The error of a job failed because a dependency ended FAILED or CANCELED. */
export function dependencyError(dependencyId: string, status: string): JobError {
  return { code: "DEPENDENCY_FAILED", message: `Dependency ${dependencyId} ${status === "CANCELED" ? "was canceled" : "failed"}` };
}

/** How a job's dependencies stand, and what that makes of the job. */
export interface DependencyTally {
  waiting: number;
  failed: number;
  canceled: number;
  /** The first dependency (in the order given) that ended FAILED or CANCELED, or null. */
  firstBad: { id: string; status: "FAILED" | "CANCELED" } | null;
  /**
   * FAILED or CANCELED when the policy ends the job now; DEFERRED when it waits; null when it
   * may run (every dependency final, and none against it).
   */
  outcome: "DEFERRED" | "FAILED" | "CANCELED" | null;
  /** The job's error when the outcome is FAILED. */
  error: JobError | null;
}

/** Tallies dependencies by status (null: a dependency deleted since, counted as ended) under a policy. */
export function tallyDependencies(dependencies: ReadonlyArray<{ id: string; status: JobStatus | null }>, policy: DependencyFailurePolicy): DependencyTally {
  const tally: DependencyTally = { waiting: 0, failed: 0, canceled: 0, firstBad: null, outcome: null, error: null };
  for (const { id, status } of dependencies) {
    if (status !== null && !isFinal(status)) tally.waiting += 1;
    else if (status === "FAILED" || status === "CANCELED") {
      if (status === "FAILED") tally.failed += 1;
      else tally.canceled += 1;
      tally.firstBad ??= { id, status };
    }
  }
  if (tally.firstBad !== null && policy === "fail") {
    tally.outcome = "FAILED";
    tally.error = dependencyError(tally.firstBad.id, tally.firstBad.status);
  } else if (tally.firstBad !== null && policy === "cancel") tally.outcome = "CANCELED";
  else if (tally.waiting > 0) tally.outcome = "DEFERRED";
  return tally;
}
