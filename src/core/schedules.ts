// The client's schedule operations (`client.schedules`): upsert, read, list, pause, resume,
// remove, trigger, and the next fire times. Each change is one store call; definitions are
// checked and normalised before any store sees them.
import { DEFAULT_CLIENT_DEFAULTS, stripUndefined, type ClientDefaults } from "./enqueue-options.js";
import { ScheduleNotFoundError } from "./errors.js";
import type { Job } from "./job.js";
import { PAYLOAD_JSON_LIMITS, SCHEDULE_BOUNDS } from "./job-rules.js";
import type { Logger } from "./logger.js";
import type { Schedule, ScheduleDefinition } from "./schedule.js";
import { prepareSchedule, type ScheduleContext } from "./schedule-definition.js";
import { jobForFire } from "./schedule-firing.js";
import { nextFireAfter, nextFireTimes } from "./schedule-timing.js";
import type { ScheduleCounts, SchedulePage, Store, UpsertOutcome } from "./store.js";
import type { TaskRegistry } from "./task.js";

/**
 * Upserts schedules declared in code (a worker's or server's `schedules`), all checked before
 * any is stored; an identical one changes nothing, so every process may do it at start.
 */
export async function upsertDeclared(
  store: Store,
  declared: readonly ScheduleDefinition[],
  context: { tasks: TaskRegistry | null; defaults: Partial<ClientDefaults> },
  log: Logger,
): Promise<void> {
  if (declared.length === 0) return;
  const schedules = new Schedules(store, { defaults: { ...DEFAULT_CLIENT_DEFAULTS, ...stripUndefined(context.defaults) }, jsonLimits: PAYLOAD_JSON_LIMITS, tasks: context.tasks });
  for (const definition of declared) await schedules.check(definition);
  for (const definition of declared) {
    const { outcome } = await schedules.upsert(definition);
    if (outcome !== "unchanged") log.info(`schedule ${outcome}`, { schedule: definition.id });
  }
}

// Attempts of a resume racing retimes; past them it answers the schedule, still paused.
const RESUME_ROUNDS = 5;

/** Schedule operations on one store. */
export class Schedules {
  constructor(
    private readonly store: Store,
    private readonly context: ScheduleContext,
  ) {}

  /** Creates or changes a schedule: an identical definition changes nothing; a new cron, every or tz starts from now. */
  async upsert(definition: ScheduleDefinition): Promise<{ schedule: Schedule; outcome: UpsertOutcome }> {
    const schedule = await prepareSchedule(definition, this.context);
    const now = await this.store.now();
    return this.store.upsertSchedule({ schedule, now, nextFireAt: nextFireAfter(schedule.timing, now, now) });
  }

  /** Checks a definition as `upsert` would and stores nothing; rejects with the same error. */
  async check(definition: ScheduleDefinition): Promise<void> {
    await prepareSchedule(definition, this.context);
  }

  get(scheduleId: string): Promise<Schedule | null> {
    return this.store.getSchedule(scheduleId);
  }

  /** Like `get`, but throws SCHEDULE_NOT_FOUND for an unknown id. */
  async require(scheduleId: string): Promise<Schedule> {
    const schedule = await this.store.getSchedule(scheduleId);
    if (schedule === null) throw new ScheduleNotFoundError(scheduleId);
    return schedule;
  }

  /** Lists schedules in id order; `limit` is capped at SCHEDULE_BOUNDS.maxListLimit. */
  list(page: { limit?: number; cursor?: string | null } = {}): Promise<SchedulePage> {
    const limit = Math.max(1, Math.min(SCHEDULE_BOUNDS.maxListLimit, Math.floor(page.limit ?? 100)));
    return this.store.listSchedules(limit, page.cursor ?? null);
  }

  /** How many schedules there are, paused, and overdue (running, and due longer ago than the misfire grace: nothing fires them). */
  async counts(): Promise<ScheduleCounts> {
    return this.store.scheduleCounts((await this.store.now()) - SCHEDULE_BOUNDS.misfireGraceMs);
  }

  pause(scheduleId: string): Promise<Schedule> {
    return this.store.pauseSchedule(scheduleId);
  }

  /** Fires again from now on; fires missed while paused are not made up. */
  async resume(scheduleId: string): Promise<Schedule> {
    // The store resumes only from the timing the next fire was computed from: a retime in
    // between makes it answer the schedule still paused, and the next round reads the new one.
    for (let round = 0; ; round++) {
      const schedule = await this.require(scheduleId);
      if (!schedule.paused || round === RESUME_ROUNDS) return schedule;
      const now = await this.store.now();
      const resumed = await this.store.resumeSchedule(scheduleId, now, nextFireAfter(schedule.timing, now, now), schedule.timingText);
      if (!resumed.paused) return resumed;
    }
  }

  remove(scheduleId: string): Promise<void> {
    return this.store.removeSchedule(scheduleId);
  }

  /** Enqueues the schedule's job now, outside its timing; its next fire does not move. */
  async trigger(scheduleId: string): Promise<Job> {
    const schedule = await this.require(scheduleId);
    return this.store.triggerSchedule(scheduleId, jobForFire(schedule, await this.store.now(), null));
  }

  /** The next `count` fire times of a schedule (at most 1000), from its next fire on. */
  async next(scheduleId: string, count: number): Promise<number[]> {
    const schedule = await this.require(scheduleId);
    const n = Math.max(1, Math.min(1000, Math.floor(count)));
    const from = schedule.nextFireAt ?? (await this.store.now());
    // nextFireAt itself is the first of them; the rest follow it.
    return schedule.nextFireAt === null ? nextFireTimes(schedule.timing, schedule.anchorAt, from, n) : [from, ...nextFireTimes(schedule.timing, schedule.anchorAt, from, n - 1)];
  }
}
