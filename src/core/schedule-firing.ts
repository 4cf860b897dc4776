// The maintenance step that fires due schedules. Any number of processes run it at once: each
// due schedule is fired by one atomic store call that compares and sets its next fire time, and
// every job it makes carries the fire's idempotency key, so a fire time makes exactly one job.
import { newJobId } from "./ids.js";
import type { NewJob } from "./job.js";
import { SCHEDULE_BOUNDS } from "./job-rules.js";
import { fireIdempotencyKey, type Schedule } from "./schedule.js";
import { dueFires } from "./schedule-timing.js";
import type { FireScheduleResult, Store } from "./store.js";

/** What one pass over due schedules did. */
export interface FiringReport {
  /** Schedules this process fired (another process may have fired the rest). */
  fired: number;
  /** Jobs made. */
  jobs: number;
  /** Fires an overlap policy skipped. */
  skipped: number;
  /** Schedules whose fire failed this pass (each is tried again next tick; the others went on). */
  failed: number;
}

/** The job a schedule makes for one fire time (or a trigger at `fireAt`). */
export function jobForFire(schedule: Schedule, fireAt: number, idempotencyKey: string | null): NewJob {
  const spec = schedule.job;
  return {
    id: newJobId(),
    freshId: true,
    task: spec.task,
    payload: spec.payload,
    payloadText: JSON.stringify(spec.payload),
    queue: spec.queue,
    maxAttempts: spec.maxAttempts,
    timeoutMs: spec.timeoutMs,
    backoff: spec.backoff,
    retryOnTimeout: spec.retryOnTimeout,
    meta: spec.meta,
    metaText: JSON.stringify(spec.meta),
    idempotencyKey,
    resultTtlSeconds: spec.resultTtlSeconds,
    failureTtlSeconds: spec.failureTtlSeconds,
    hold: false,
    delayMs: null,
    runAt: null,
    schedule: { scheduleId: schedule.id, fireAt },
  };
}

/**
 * Fires up to `limit` due schedules, each in one atomic store call; returns what this process
 * did. A schedule whose fire fails (a zone the machine no longer knows, a store error) is
 * reported to `onError` and does not stop the others, nor the rest of maintenance.
 */
export async function fireDueSchedules(
  store: Store,
  limit: number = SCHEDULE_BOUNDS.maxFiresPerTick,
  onError: (scheduleId: string, error: unknown) => void = () => undefined,
): Promise<FiringReport> {
  const report: FiringReport = { fired: 0, jobs: 0, skipped: 0, failed: 0 };
  const { now, schedules } = await store.dueSchedules(limit);
  for (const schedule of schedules) {
    if (now === null || schedule.nextFireAt === null) continue;
    try {
      const result = await fireOne(store, schedule, schedule.nextFireAt, now);
      if (!result.fired) continue;
      report.fired += 1;
      report.jobs += result.jobs.length;
      report.skipped += result.skipped;
    } catch (error) {
      report.failed += 1;
      onError(schedule.id, error);
    }
  }
  return report;
}

function fireOne(store: Store, schedule: Schedule, nextFireAt: number, now: number): Promise<FireScheduleResult> {
  const plan = dueFires({ timing: schedule.timing, anchorAt: schedule.anchorAt, nextFireAt, catchUp: schedule.catchUp }, now);
  return store.fireSchedule({
    scheduleId: schedule.id,
    expectedNextFireAt: nextFireAt,
    expectedDefinitionText: schedule.definitionText,
    fires: plan.fireAts.map((fireAt) => ({ fireAt, job: jobForFire(schedule, fireAt, fireIdempotencyKey(schedule.id, fireAt)) })),
    lastFireAt: plan.lastFireAt,
    nextFireAt: plan.nextFireAt,
    overlap: schedule.overlap,
  });
}
