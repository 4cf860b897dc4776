// Schedules as data: what a caller declares (cron or every, the job to make, the policies), the
// record a store keeps, and the reference a fired job carries. Timing lives in
// schedule-timing.ts; checking and normalising a declaration in schedule-definition.ts.
import type { BackoffPolicy, JobMeta, Json } from "./job.js";

/**
 * Fires missed while nothing ran (older than SCHEDULE_BOUNDS.misfireGraceMs when a tick sees
 * them): one job for the latest of them (the default), none, or up to `backfill` of the latest.
 */
export type CatchUp = "latest" | "none" | { backfill: number };

/**
 * What a fire does while the schedule's previous job has not finished: fire anyway (the
 * default), skip the fire, or fire only if the previous job is already running (so at most one
 * job of the schedule waits).
 */
export type Overlap = "allow" | "skip" | "one_waiting";

/** Job options a schedule gives every job it makes; the task's options and the defaults fill the rest. */
export interface ScheduleJobOptions {
  queue?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  retryOnTimeout?: boolean;
  meta?: JobMeta;
  resultTtlSeconds?: number;
  failureTtlSeconds?: number;
}

/** A schedule as code or the API declares it: exactly one of `cron` and `every`. */
export interface ScheduleDefinition {
  /** Stable id, chosen by the caller (letters, digits, `_ . : -`, at most 128). */
  id: string;
  task: string;
  payload?: Json;
  /** 5 fields, or 6 with seconds first; names such as MON-FRI; @hourly, @daily, @weekly, @monthly, @yearly. */
  cron?: string;
  /** IANA time zone of `cron` (default "UTC"). */
  tz?: string;
  /** Interval: "30s", "5m", "1h", "1d", or a number of seconds; at least 1 s. */
  every?: string | number;
  job?: ScheduleJobOptions;
  catchUp?: CatchUp;
  overlap?: Overlap;
}

/** When a schedule fires: a cron in a zone, or a fixed interval counted from `anchorAt`. */
export interface ScheduleTiming {
  cron: string | null;
  tz: string;
  everyMs: number | null;
}

/** The job a schedule makes, with every option resolved when the schedule was stored. */
export interface ScheduleJobSpec {
  task: string;
  payload: Json;
  queue: string;
  timeoutMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  retryOnTimeout: boolean;
  meta: JobMeta;
  resultTtlSeconds: number;
  failureTtlSeconds: number;
}

/** A checked, normalised schedule, ready to store (schedule-definition.ts makes it). */
export interface NewSchedule {
  id: string;
  timing: ScheduleTiming;
  job: ScheduleJobSpec;
  catchUp: CatchUp;
  overlap: Overlap;
  /**
   * Canonical JSON of everything above: an upsert whose text equals the stored one changes
   * nothing. Stores keep it as they get it and hand it back in `Schedule.definitionText`.
   */
  definitionText: string;
  /** Canonical JSON of `timing` alone: an upsert that changes it restarts the schedule from now. */
  timingText: string;
}

/** A schedule as a store keeps it. Times are ms since the epoch, in the store's clock. */
export interface Schedule extends NewSchedule {
  paused: boolean;
  /** The next fire time; null while paused. */
  nextFireAt: number | null;
  /** The latest fire time that has fired (or was skipped by its policies); null before the first. */
  lastFireAt: number | null;
  /** The last job the schedule made (by a fire or a trigger); null before the first. */
  lastJobId: string | null;
  /** When the timing last started: creation, a timing change, or a resume (`every` counts from here). */
  anchorAt: number;
  createdAt: number;
  updatedAt: number;
}

/** What a job made by a schedule carries: the schedule and the fire time it stands for. */
export interface ScheduleRef {
  scheduleId: string;
  /** The fire time (a trigger: the time it was triggered). */
  fireAt: number;
}

/** The prefix of the fires' idempotency keys, which callers' keys may not use. */
export const FIRE_KEY_PREFIX = "schedule:";

/** The idempotency key of the job for one fire time: a second attempt at the same fire finds the first job. */
export function fireIdempotencyKey(scheduleId: string, fireAt: number): string {
  return `${FIRE_KEY_PREFIX}${scheduleId}:${fireAt}`;
}
