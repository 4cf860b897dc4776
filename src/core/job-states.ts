// The job state machine: status names and which actions each status allows.
//
//  PENDING ──enqueue──► QUEUED ──claim──► PROCESSING ──ok──► COMPLETED
//     └─run_at later──► SCHEDULED ─due─► QUEUED       ├─error, attempts left─► SCHEDULED (backoff)
//                                                      ├─lease expired─► QUEUED (stall counted)
//                                                      └─error, no attempts / timeout / stalls─► FAILED
//  DEFERRED ─last dependency final─► QUEUED (or SCHEDULED); ─a dependency failed─► FAILED | CANCELED (its policy)
//  any non-final ─cancel─► CANCELED;  FAILED | CANCELED ─retry─► QUEUED (a flow's: DEFERRED until its children run again)
// Stores enforce these rules atomically; this module names them once for every store.

/** Every status a job can have, as the HTTP API and CLI show it. */
export const JOB_STATUSES = [
  "PENDING",
  "DEFERRED",
  "SCHEDULED",
  "QUEUED",
  "PROCESSING",
  "COMPLETED",
  "FAILED",
  "CANCELED",
] as const;

/** A job's status. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves by itself. */
export const FINAL_STATUSES: readonly JobStatus[] = ["COMPLETED", "FAILED", "CANCELED"];

/** True when the job will not run again unless retried. */
export function isFinal(status: JobStatus): boolean {
  return status === "COMPLETED" || status === "FAILED" || status === "CANCELED";
}

/** Statuses from which `cancel` is allowed. */
export const CANCELABLE: readonly JobStatus[] = ["PENDING", "DEFERRED", "SCHEDULED", "QUEUED", "PROCESSING"];
/** Statuses from which `retry` is allowed. */
export const RETRYABLE: readonly JobStatus[] = ["FAILED", "CANCELED"];
/** Statuses from which `remove` is allowed: a running job must be canceled first. */
export const REMOVABLE: readonly JobStatus[] = ["PENDING", "DEFERRED", "SCHEDULED", "QUEUED", "COMPLETED", "FAILED", "CANCELED"];

/** True when `value` is a status name. */
export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === "string" && (JOB_STATUSES as readonly string[]).includes(value);
}
