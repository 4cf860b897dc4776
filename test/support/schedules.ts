// Schedule factories for store tests: NewSchedule records and fire requests, built without the
// timing module so that a store's tests decide every time themselves.
import { canonicalJson } from "../../src/core/schedule-definition.js";
import { jobForFire } from "../../src/core/schedule-firing.js";
import { fireIdempotencyKey, type NewSchedule, type Schedule, type ScheduleTiming } from "../../src/core/schedule.js";
import type { FireScheduleRequest } from "../../src/core/store.js";
import { DEFAULT_BACKOFF } from "../../src/core/job-rules.js";

/** A valid NewSchedule firing `every` 60 s by default; `overrides` replace any field. */
export function newSchedule(id: string, overrides: Partial<Omit<NewSchedule, "definitionText" | "timingText">> = {}): NewSchedule {
  const timing: ScheduleTiming = overrides.timing ?? { cron: null, tz: "UTC", everyMs: 60_000 };
  const base = {
    id,
    timing,
    job: {
      task: "noop",
      payload: { from: id },
      queue: "default",
      timeoutMs: 60_000,
      maxAttempts: 3,
      backoff: DEFAULT_BACKOFF,
      retryOnTimeout: false,
      meta: {},
      resultTtlSeconds: 3600,
      failureTtlSeconds: 7200,
    },
    catchUp: "latest" as const,
    overlap: "allow" as const,
    ...overrides,
  };
  return { ...base, definitionText: canonicalJson({ id, timing: base.timing, job: base.job, catchUp: base.catchUp, overlap: base.overlap }), timingText: canonicalJson(base.timing) };
}

/** A fire request for `schedule` as read, making one job per time in `fireAts`. */
export function fireRequest(schedule: Schedule, fireAts: number[], nextFireAt: number, overrides: Partial<FireScheduleRequest> = {}): FireScheduleRequest {
  return {
    scheduleId: schedule.id,
    expectedNextFireAt: schedule.nextFireAt ?? -1,
    expectedDefinitionText: schedule.definitionText,
    fires: fireAts.map((fireAt) => ({ fireAt, job: jobForFire(schedule, fireAt, fireIdempotencyKey(schedule.id, fireAt)) })),
    lastFireAt: fireAts.at(-1) ?? schedule.nextFireAt ?? 0,
    nextFireAt,
    overlap: schedule.overlap,
    ...overrides,
  };
}
