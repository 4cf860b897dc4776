// The error catalogue: every error Caudex raises on purpose has a stable `code`.
// Mapping codes to HTTP statuses is the server's business (server/error-handler.ts), not this file's.

/** Every stable error code, with the one-line meaning documented in docs/errors.md. */
export const ErrorCodes = {
  INVALID_PAYLOAD: "The payload failed the task's schema or is not JSON.",
  INVALID_OPTIONS: "An option passed to enqueue, a worker or a store is out of range.",
  UNKNOWN_TASK: "No task with this name is registered.",
  JOB_NOT_FOUND: "No job has this id.",
  INVALID_TRANSITION: "The job's current status does not allow this action.",
  INVALID_CURSOR: "The listing cursor is not one this store handed out.",
  DEPENDENCY_NOT_FOUND: "A job named in depends_on does not exist; nothing was stored.",
  DEPENDENCY_FAILED: "A job this one depended on failed or was canceled, so this one did not run.",
  POSTPONED_TOO_OFTEN: "The task put its job off with RetryAfter more times than allowed, so the job failed.",
  HAS_DEPENDENTS: "Unfinished jobs depend on this job (or belong to its flow), so it cannot be removed yet.",
  INVALID_SCHEDULE: "A schedule's definition is malformed: its id, cron, time zone, interval or policies.",
  SCHEDULE_NOT_FOUND: "No schedule has this id.",
  LEASE_LOST: "The worker's lease on the job is stale; the store changed nothing.",
  CONFIG_INVALID: "The configuration has one or more invalid values.",
  STORE_UNAVAILABLE: "The store cannot be reached or refuses writes (out of space, read-only).",
  STORE_MISCONFIGURED: "The store server is set up in a way that could lose jobs.",
  DRIVER_UNAVAILABLE: "The store's database driver could not be loaded (a failed native build of better-sqlite3).",
  TIMEOUT: "The job ran past its timeout.",
  WAIT_TIMEOUT: "Waiting for a job gave up before the job finished; the job itself goes on.",
  STALLED: "The job's worker died too many times while running it.",
  TASK_ERROR: "The task threw an error.",
  WORKER_NAME_TAKEN: "A live worker on this host already uses this name.",
  UNAUTHORIZED: "The request has no valid token.",
  FORBIDDEN: "The token does not allow this action.",
  BAD_REQUEST: "The request is malformed.",
  NOT_FOUND: "No such route.",
  PAYLOAD_TOO_LARGE: "The request body is too large or too deeply nested.",
  UNSUPPORTED_MEDIA_TYPE: "The request body is not JSON (Content-Type must be application/json).",
  CSRF_REJECTED: "The action lacks a valid CSRF token.",
  RATE_LIMITED: "Too many requests.",
  INTERNAL: "An unexpected error; the message says more.",
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * The codes a failed job's `error.code` can carry. Each is a catalogue code (the `satisfies`
 * refuses any other), so every reason a job fails for is documented in docs/errors.md.
 */
export const JOB_ERROR_CODES = ["TASK_ERROR", "TIMEOUT", "STALLED", "UNKNOWN_TASK", "INVALID_PAYLOAD", "DEPENDENCY_FAILED", "POSTPONED_TOO_OFTEN"] as const satisfies readonly ErrorCode[];

/** Why a job failed, as a stable code (one of JOB_ERROR_CODES). */
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

/** Base class of every error Caudex raises on purpose. */
export class CaudexError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CaudexError";
    this.code = code;
    this.details = options?.details;
  }
}

/** The payload failed validation; nothing was stored. */
export class InvalidPayloadError extends CaudexError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("INVALID_PAYLOAD", message, details === undefined ? undefined : { details });
    this.name = "InvalidPayloadError";
  }
}

/** An option is out of range. */
export class InvalidOptionsError extends CaudexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_OPTIONS", message, options);
    this.name = "InvalidOptionsError";
  }
}

/** No task is registered under this name. */
export class UnknownTaskError extends CaudexError {
  constructor(task: string) {
    super("UNKNOWN_TASK", `No task named "${task}" is registered`, { details: { task } });
    this.name = "UnknownTaskError";
  }
}

/** No job has this id. */
export class JobNotFoundError extends CaudexError {
  constructor(jobId: string) {
    super("JOB_NOT_FOUND", `Job ${jobId} not found`, { details: { jobId } });
    this.name = "JobNotFoundError";
  }
}

/** The job's status does not allow the action. */
export class InvalidTransitionError extends CaudexError {
  constructor(jobId: string, action: string, status: string) {
    super("INVALID_TRANSITION", `Cannot ${action} job ${jobId}: it is ${status}`, {
      details: { jobId, action, status },
    });
    this.name = "InvalidTransitionError";
  }
}

/** A listing cursor the store could not have handed out (mangled or made up); nothing was listed. */
export class InvalidCursorError extends CaudexError {
  constructor(reason: string, cause?: unknown) {
    super("INVALID_CURSOR", `The listing cursor is not one this store handed out (${reason}); list again from the first page`, cause === undefined ? undefined : { cause });
    this.name = "InvalidCursorError";
  }
}

/** The lease token is stale: another attempt owns the job now, or it was canceled. */
export class LeaseLostError extends CaudexError {
  constructor(jobId: string) {
    super("LEASE_LOST", `Lease on job ${jobId} was lost; the store changed nothing`, { details: { jobId } });
    this.name = "LeaseLostError";
  }
}

/** The configuration is invalid; `problems` lists every problem found. */
export class ConfigInvalidError extends CaudexError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("CONFIG_INVALID", `Invalid configuration:\n  - ${problems.join("\n  - ")}`, { details: { problems } });
    this.name = "ConfigInvalidError";
    this.problems = problems;
  }
}

/** The store cannot be reached. */
export class StoreUnavailableError extends CaudexError {
  constructor(message: string, cause?: unknown) {
    super("STORE_UNAVAILABLE", message, cause === undefined ? undefined : { cause });
    this.name = "StoreUnavailableError";
  }
}

/** The store's server is configured in a way that risks data. */
export class StoreMisconfiguredError extends CaudexError {
  constructor(message: string) {
    super("STORE_MISCONFIGURED", message);
    this.name = "StoreMisconfiguredError";
  }
}

/** The store's driver could not be loaded; the message names the fix. */
export class DriverUnavailableError extends CaudexError {
  constructor(message: string, cause?: unknown) {
    super("DRIVER_UNAVAILABLE", message, cause === undefined ? undefined : { cause });
    this.name = "DriverUnavailableError";
  }
}

/** A live worker on the same host already holds this name. */
export class WorkerNameTakenError extends CaudexError {
  constructor(name: string, pid: number) {
    super("WORKER_NAME_TAKEN", `Worker name "${name}" is in use by live process ${pid} on this host`, {
      details: { name, pid },
    });
    this.name = "WorkerNameTakenError";
  }
}

/** A schedule definition is malformed; nothing was stored. */
export class InvalidScheduleError extends CaudexError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super("INVALID_SCHEDULE", message, { ...(details === undefined ? {} : { details }), ...(cause === undefined ? {} : { cause }) });
    this.name = "InvalidScheduleError";
  }
}

/** No schedule has this id. */
export class ScheduleNotFoundError extends CaudexError {
  constructor(scheduleId: string) {
    super("SCHEDULE_NOT_FOUND", `Schedule ${scheduleId} not found`, { details: { scheduleId } });
    this.name = "ScheduleNotFoundError";
  }
}

/** A job named as a dependency does not exist; nothing was stored. */
export class DependencyNotFoundError extends CaudexError {
  constructor(jobId: string, dependencyId: string) {
    super("DEPENDENCY_NOT_FOUND", `Job ${jobId} depends on ${dependencyId}, which does not exist`, { details: { jobId, dependencyId } });
    this.name = "DependencyNotFoundError";
  }
}

/** Unfinished jobs depend on the job (or belong to its flow); nothing was removed. */
export class HasDependentsError extends CaudexError {
  constructor(jobId: string, waitingId: string) {
    super("HAS_DEPENDENTS", `Cannot remove job ${jobId}: job ${waitingId} is not finished and needs it (cancel it first)`, { details: { jobId, waitingId } });
    this.name = "HasDependentsError";
  }
}

/** True when `error` is a CaudexError with the given code. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof CaudexError && error.code === code;
}
