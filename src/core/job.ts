// The job record and the values that travel with it. Plain data, shared by every store and edge.
import type { JobErrorCode } from "./errors.js";
import type { JobStatus } from "./job-states.js";
import type { LimitKey } from "./limits.js";
import type { ScheduleRef } from "./schedule.js";

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Why a job failed: a stable code, a message, and the stack when there is one. */
export interface JobError {
  code: JobErrorCode;
  message: string;
  stack?: string;
}

/** Free-form job metadata; `projectId` and `userId` are indexed and filterable. */
export interface JobMeta {
  projectId?: string;
  userId?: string;
  [key: string]: Json | undefined;
}

/** How a failed attempt's next run is delayed. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Multiplier per attempt. */
  factor: number;
  /** 0 = exact delays, 1 = full jitter (uniform between 0 and the delay). */
  jitter: number;
}

/** A job as stored and returned to callers. Times are milliseconds since the epoch. */
export interface Job {
  id: string;
  task: string;
  payload: Json;
  queue: string;
  status: JobStatus;
  /** Attempts started so far (1 while the first attempt runs). */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  backoff: BackoffPolicy;
  /** Whether a timeout counts as a retryable failure (true) or fails the job at once. */
  retryOnTimeout: boolean;
  createdAt: number;
  enqueuedAt: number | null;
  startedAt: number | null;
  completedAt: number | null;
  runAt: number | null;
  progress: Json | null;
  result: Json | null;
  error: JobError | null;
  /** Name of the worker running (or that last ran) the job. */
  worker: string | null;
  meta: JobMeta;
  idempotencyKey: string | null;
  /** Times the job's lease expired while it ran (its worker died or hung). */
  stalls: number;
  /**
   * How many times an operator retried this job after it failed or was canceled (`retry`,
   * `retryAllFailed`). A retry restarts `attempt` at 0, so this is what shows it happened.
   */
  retries: number;
  resultTtlSeconds: number;
  failureTtlSeconds: number;
  /** The schedule that made the job, or null. */
  scheduleId: string | null;
  /** The fire time the job stands for (a trigger: when it was triggered), or null. */
  fireAt: number | null;
  /** The jobs this one waits for (in the order given); empty for most jobs. */
  dependsOn: string[];
  /** What a FAILED or CANCELED dependency does to this job (decision 0018). */
  onDependencyFailure: DependencyFailurePolicy;
  /** How its dependencies have ended so far, or null when it has none. */
  dependencies: DependencyCounts | null;
  /** How many jobs depend on this one. */
  dependents: number;
  /** The job this one was created for (a flow's parent, a batch's callback, a fan-out), or null. */
  parentId: string | null;
  /** The root of the flow or the batch this job belongs to, or null. */
  flowId: string | null;
  /** The limits the job is under (decision 0023), its lane's first; empty for most jobs. */
  limitKeys: LimitKey[];
  /** Times its task put it off with RetryAfter (attempts not counted). */
  postponements: number;
}

/**
 * What a FAILED or CANCELED dependency does to a job waiting for it: `fail` it at once with
 * DEPENDENCY_FAILED (the default), `cancel` it at once, or `run` it anyway once every dependency
 * is final.
 */
export type DependencyFailurePolicy = "fail" | "cancel" | "run";

/** The dependency failure policies, in the order the docs list them. */
export const DEPENDENCY_FAILURE_POLICIES: readonly DependencyFailurePolicy[] = ["fail", "cancel", "run"];

/** How a job's dependencies have ended: `waiting` are not final yet. */
export interface DependencyCounts {
  total: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
}

/** A dependency's outcome as its dependent reads it when it runs. */
export interface DependencyOutcome {
  id: string;
  task: string;
  status: JobStatus;
  result: Json | null;
  error: JobError | null;
}

/** A job handed to a worker by `claim`, with the lease token that fences its settlement. */
export interface ClaimedJob extends Job {
  leaseToken: string;
  leaseExpiresAt: number;
}

/** What a store needs to create a job; the client fills in defaults. */
export interface NewJob {
  id: string;
  task: string;
  payload: Json;
  /** The payload already encoded as JSON, so stores never encode it twice. */
  payloadText: string;
  queue: string;
  maxAttempts: number;
  timeoutMs: number;
  backoff: BackoffPolicy;
  retryOnTimeout: boolean;
  meta: JobMeta;
  /** The meta already encoded as JSON. */
  metaText: string;
  idempotencyKey: string | null;
  resultTtlSeconds: number;
  failureTtlSeconds: number;
  /** Create as PENDING; it waits for `enqueuePending`. */
  hold: boolean;
  /** Run no earlier than this delay after the store's now (store clock). */
  delayMs: number | null;
  /** Run no earlier than this absolute time. */
  runAt: number | null;
  /**
   * The id was made by `newJobId` for this job (it carries 80 random bits), so a store need not
   * check it against existing jobs. Absent for ids chosen by a caller.
   */
  freshId?: boolean;
  /** Set on jobs a schedule makes (fires and triggers). */
  schedule?: ScheduleRef;
  /**
   * Jobs this one waits for: ids of stored jobs or of earlier jobs of the same enqueue call
   * (deduplicated, at most JOB_BOUNDS.maxDependencies). Absent or empty: none.
   */
  dependsOn?: readonly string[];
  /** Absent: `fail`. */
  onDependencyFailure?: DependencyFailurePolicy;
  /** The job this one is created for (it owns it: a cancel of the parent cascades to it). */
  parentId?: string | null;
  /** The flow or batch it belongs to (its root's id). */
  flowId?: string | null;
  /** The limits it is under (checked: at most JOB_BOUNDS.maxLimitsPerJob). Absent or empty: none. */
  limitKeys?: readonly LimitKey[];
}

/** A live or recently seen worker. */
export interface WorkerInfo {
  name: string;
  incarnation: string;
  host: string;
  pid: number;
  queues: string[];
  /**
   * The task names the worker runs, as it registered them; empty when it did not say (a worker
   * over HTTP, or an entry written by an earlier version): such a worker may run any task.
   */
  tasks: string[];
  concurrency: number;
  state: "starting" | "idle" | "busy" | "stopping";
  startedAt: number;
  heartbeatAt: number;
  currentJobs: string[];
  processed: number;
  failed: number;
}

/** Counts and ages for one queue. */
export interface QueueStats {
  queue: string;
  counts: Record<JobStatus, number>;
  /** Age in ms of the oldest job waiting in QUEUED, or null when none waits. */
  oldestWaitingMs: number | null;
  completedLastMinute: number;
  failedLastMinute: number;
  paused: boolean;
}

/** Jobs of one queue that finished in one minute (the dashboard's throughput chart). */
export interface MinuteFinishes {
  queue: string;
  /** Start of the minute, epoch ms (a multiple of 60,000). */
  minute: number;
  completed: number;
  failed: number;
}

/** Filters for listing jobs; every one is optional and they combine with AND. */
export interface JobFilter {
  status?: JobStatus;
  queue?: string;
  task?: string;
  projectId?: string;
  userId?: string;
  /** Jobs made by this schedule. */
  scheduleId?: string;
}

/** One page of a listing, newest first; pass `nextCursor` back to get the next page. */
export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}
