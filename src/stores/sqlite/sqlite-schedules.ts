// The schedules of the SQLite store: upserts, reads, pause and resume, and the compare-and-set
// fire whose jobs go through the store's own enqueue path (same events, same idempotency keys).
// The writes run inside a transaction the store opened; none opens one itself. Fire times and
// catch-up are the core's (schedule-firing.ts): the store only checks, applies overlap, records.
import { ScheduleNotFoundError } from "../../core/errors.js";
import type { Job, NewJob } from "../../core/job.js";
import { isFinal, type JobStatus } from "../../core/job-states.js";
import { checkScheduleCursor } from "../../core/listing-cursor.js";
import type { Schedule } from "../../core/schedule.js";
import type { FireScheduleRequest, FireScheduleResult, ScheduleFire, SchedulePage, UpsertOutcome, UpsertScheduleRequest } from "../../core/store.js";
import { rowToSchedule, type ScheduleRow } from "./row-decoders.js";
import { enqueueJobs } from "./sqlite-enqueue.js";
import type { Statements } from "./sql-statements.js";
import type { TransitionSteps } from "./transition-steps.js";

// Under `one_waiting`, a last job in one of these blocks a fire: it has not started yet.
const WAITING: readonly JobStatus[] = ["PENDING", "SCHEDULED", "QUEUED"];

/** Creates a schedule, or changes the stored one as its texts tell (see UpsertOutcome); an unchanged one is not written. */
export function upsertSchedule(st: Statements, request: UpsertScheduleRequest): { schedule: Schedule; outcome: UpsertOutcome } {
  const { schedule, now } = request;
  const row = st.scheduleById.get(schedule.id) as ScheduleRow | undefined;
  const texts = { id: schedule.id, definition: schedule.definitionText, now };
  if (row === undefined) {
    const created = st.insertSchedule.get({ ...texts, timing: schedule.timingText, next_fire_at: request.nextFireAt }) as ScheduleRow;
    return { schedule: rowToSchedule(created), outcome: "created" };
  }
  if (row.definition === schedule.definitionText) return { schedule: rowToSchedule(row), outcome: "unchanged" };
  if (row.timing !== schedule.timingText) {
    const retimed = st.retimeSchedule.get({ ...texts, timing: schedule.timingText, next_fire_at: request.nextFireAt }) as ScheduleRow;
    return { schedule: rowToSchedule(retimed), outcome: "retimed" };
  }
  return { schedule: rowToSchedule(st.redefineSchedule.get(texts) as ScheduleRow), outcome: "updated" };
}

/** The schedule with this id, or null. */
export function getSchedule(st: Statements, scheduleId: string): Schedule | null {
  const row = st.scheduleById.get(scheduleId) as ScheduleRow | undefined;
  return row === undefined ? null : rowToSchedule(row);
}

/** A page of schedules in id order after `cursor` (the last id of the previous page); INVALID_CURSOR when no id could be it. */
export function listSchedules(st: Statements, limit: number, cursor: string | null): SchedulePage {
  if (cursor !== null) checkScheduleCursor(cursor);
  const rows = (cursor === null ? st.schedulesFirstPage.all(limit + 1) : st.schedulesAfter.all(cursor, limit + 1)) as ScheduleRow[];
  const page = rows.slice(0, limit).map(rowToSchedule);
  return { schedules: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/** Up to `limit` schedules due at `now`, soonest first: one range scan of the index schedules_due. */
export function dueSchedules(st: Statements, now: number, limit: number): Schedule[] {
  return (st.dueSchedules.all(now, limit) as ScheduleRow[]).map(rowToSchedule);
}

/** Deletes a schedule; its jobs keep their schedule id. */
export function removeSchedule(st: Statements, scheduleId: string): void {
  if (st.deleteSchedule.run(scheduleId).changes === 0) throw new ScheduleNotFoundError(scheduleId);
}

/** Pauses a schedule (no next fire); a paused one is answered as it is. */
export function pauseSchedule(st: Statements, scheduleId: string): Schedule {
  const row = requireSchedule(st, scheduleId);
  if (row.paused === 1) return rowToSchedule(row);
  return rowToSchedule(st.pauseSchedule.get(scheduleId) as ScheduleRow);
}

/** Resumes a paused schedule from `nextFireAt`, anchored at `now`, while its timing is still the expected one; otherwise answers it as it is. */
export function resumeSchedule(st: Statements, scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Schedule {
  const row = requireSchedule(st, scheduleId);
  if (row.paused === 0 || row.timing !== expectedTimingText) return rowToSchedule(row);
  return rowToSchedule(st.resumeSchedule.get({ id: scheduleId, now, next_fire_at: nextFireAt }) as ScheduleRow);
}

/**
 * Fires a schedule when its next fire time and timing are still the ones the request was made
 * from: enqueues the jobs its overlap policy lets through (a fire whose key already has a job
 * makes none and is not a skip), then records the fire times and the last job made.
 */
export function fireSchedule(st: Statements, steps: TransitionSteps, request: FireScheduleRequest, now: number): FireScheduleResult {
  const row = st.scheduleById.get(request.scheduleId) as ScheduleRow | undefined;
  const current = row !== undefined && row.paused === 0 && row.next_fire_at === request.expectedNextFireAt && row.definition === request.expectedDefinitionText;
  if (!current) return { fired: false, jobs: [], skipped: 0 };
  const { fires, skipped } = firesLetThrough(st, request, row.last_job_id);
  const jobs = enqueueJobs(st, steps, fires.map((fire) => fire.job), now).flatMap((result) => (result.created ? [result.job] : []));
  st.advanceSchedule.run({ id: request.scheduleId, last_fire_at: request.lastFireAt, next_fire_at: request.nextFireAt, last_job_id: jobs.at(-1)?.id ?? null });
  return { fired: true, jobs, skipped };
}

/** Enqueues `job` for the schedule outside its timing and makes it the schedule's last job. */
export function triggerSchedule(st: Statements, steps: TransitionSteps, scheduleId: string, job: NewJob, now: number): Job {
  if (st.scheduleExists.get(scheduleId) === undefined) throw new ScheduleNotFoundError(scheduleId);
  const [result] = enqueueJobs(st, steps, [job], now);
  if (result === undefined) throw new Error("enqueue answered no result for one job");
  // A caller's key that an older job holds gives that job back: it is no job of this trigger.
  if (result.created) st.setLastJob.run(result.job.id, scheduleId);
  return result.job;
}

/** The fires to enqueue under the request's overlap policy, and how many it skips. */
function firesLetThrough(st: Statements, request: FireScheduleRequest, lastJobId: string | null): { fires: readonly ScheduleFire[]; skipped: number } {
  const { fires, overlap } = request;
  if (overlap === "allow" || fires.length === 0) return { fires, skipped: 0 };
  // A last job removed or pruned since blocks nothing.
  const status = lastJobId === null ? undefined : (st.jobStatus.pluck().get(lastJobId) as JobStatus | undefined);
  const blocked = status !== undefined && (overlap === "skip" ? !isFinal(status) : WAITING.includes(status));
  return blocked ? { fires: [], skipped: fires.length } : { fires: fires.slice(-1), skipped: fires.length - 1 };
}

function requireSchedule(st: Statements, scheduleId: string): ScheduleRow {
  const row = st.scheduleById.get(scheduleId) as ScheduleRow | undefined;
  if (row === undefined) throw new ScheduleNotFoundError(scheduleId);
  return row;
}
