// The schedules of the PostgreSQL store: upserts, reads, pause and resume, and the compare-and-set
// fire whose jobs go through the store's own enqueue path (same events, same idempotency keys).
// Writes lock the schedule's row (FOR UPDATE) first, so a fire racing an upsert or another fire
// sees the row as the winner left it. Fire times and catch-up are the core's (schedule-firing.ts).
import { ScheduleNotFoundError } from "../../core/errors.js";
import type { Job, NewJob } from "../../core/job.js";
import { isFinal, type JobStatus } from "../../core/job-states.js";
import { checkScheduleCursor } from "../../core/listing-cursor.js";
import type { Schedule } from "../../core/schedule.js";
import type { FireScheduleRequest, FireScheduleResult, ScheduleFire, SchedulePage, UpsertOutcome, UpsertScheduleRequest } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import { rowToSchedule, type ScheduleRow } from "./row-decoders.js";

// Under `one_waiting`, a last job in one of these blocks a fire: it has not started yet.
const WAITING: readonly JobStatus[] = ["PENDING", "SCHEDULED", "QUEUED"];

const SQL = {
  byId: "SELECT * FROM {s}.schedules WHERE id = $1",
  lockedById: "SELECT * FROM {s}.schedules WHERE id = $1 FOR UPDATE",
  insert: `INSERT INTO {s}.schedules (id, definition, timing, paused, next_fire_at, anchor_at, created_at, updated_at)
    VALUES ($1, $2, $3, false, $4, $5, $5, $5) ON CONFLICT (id) DO NOTHING RETURNING *`,
  retime: `UPDATE {s}.schedules SET definition = $2, timing = $3, anchor_at = $5, updated_at = $5,
      next_fire_at = CASE WHEN paused THEN NULL ELSE $4::bigint END WHERE id = $1 RETURNING *`,
  redefine: "UPDATE {s}.schedules SET definition = $2, updated_at = $3 WHERE id = $1 RETURNING *",
  pause: "UPDATE {s}.schedules SET paused = true, next_fire_at = NULL WHERE id = $1 RETURNING *",
  resume: "UPDATE {s}.schedules SET paused = false, next_fire_at = $2, anchor_at = $3 WHERE id = $1 RETURNING *",
  advance: "UPDATE {s}.schedules SET last_fire_at = $2, next_fire_at = $3, last_job_id = coalesce($4, last_job_id) WHERE id = $1",
  setLastJob: "UPDATE {s}.schedules SET last_job_id = $1 WHERE id = $2",
  remove: "DELETE FROM {s}.schedules WHERE id = $1",
  due: "SELECT * FROM {s}.schedules WHERE NOT paused AND next_fire_at <= $1 ORDER BY next_fire_at, id LIMIT $2",
  counts: `SELECT (SELECT count(*) FROM {s}.schedules)::int AS total, (SELECT count(*) FROM {s}.schedules WHERE paused)::int AS paused,
    (SELECT count(*) FROM {s}.schedules WHERE NOT paused AND next_fire_at <= $1)::int AS overdue`,
  firstPage: "SELECT * FROM {s}.schedules ORDER BY id LIMIT $1",
  after: "SELECT * FROM {s}.schedules WHERE id > $1 ORDER BY id LIMIT $2",
  jobStatus: "SELECT status FROM {s}.jobs WHERE id = $1",
} as const;

/** How the store's enqueue path is reached from here (the store passes its own). */
export type EnqueueInTx = (tx: Tx, jobs: readonly NewJob[]) => Promise<Array<{ job: Job; created: boolean }>>;

/** Creates a schedule, or changes the stored one as its texts tell (see UpsertOutcome); an unchanged one is not written. */
export async function upsertSchedule(tx: Tx, request: UpsertScheduleRequest): Promise<{ schedule: Schedule; outcome: UpsertOutcome }> {
  const { schedule, now } = request;
  let row: ScheduleRow | undefined = await tx.row<ScheduleRow>(SQL.lockedById, [schedule.id]);
  if (row === undefined) {
    const created = await tx.row<ScheduleRow>(SQL.insert, [schedule.id, schedule.definitionText, schedule.timingText, request.nextFireAt, now]);
    if (created !== undefined) return { schedule: rowToSchedule(created), outcome: "created" };
    // Another process created it meanwhile: compare with what it stored.
    row = await tx.row<ScheduleRow>(SQL.lockedById, [schedule.id]);
    if (row === undefined) throw new ScheduleNotFoundError(schedule.id);
  }
  if (row.definition === schedule.definitionText) return { schedule: rowToSchedule(row), outcome: "unchanged" };
  if (row.timing !== schedule.timingText) {
    const retimed = (await tx.row<ScheduleRow>(SQL.retime, [schedule.id, schedule.definitionText, schedule.timingText, request.nextFireAt, now])) as ScheduleRow;
    return { schedule: rowToSchedule(retimed), outcome: "retimed" };
  }
  return { schedule: rowToSchedule((await tx.row<ScheduleRow>(SQL.redefine, [schedule.id, schedule.definitionText, now])) as ScheduleRow), outcome: "updated" };
}

/** The schedule with this id, or null. */
export async function getSchedule(tx: Tx, scheduleId: string): Promise<Schedule | null> {
  const row = await tx.row<ScheduleRow>(SQL.byId, [scheduleId]);
  return row === undefined ? null : rowToSchedule(row);
}

/** A page of schedules in id order after `cursor`; INVALID_CURSOR when no id could be it. */
export async function listSchedules(tx: Tx, limit: number, cursor: string | null): Promise<SchedulePage> {
  if (cursor !== null) checkScheduleCursor(cursor);
  const rows = cursor === null ? await tx.rows<ScheduleRow>(SQL.firstPage, [limit + 1]) : await tx.rows<ScheduleRow>(SQL.after, [cursor, limit + 1]);
  const page = rows.slice(0, limit).map(rowToSchedule);
  return { schedules: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/** Up to `limit` schedules due at `now`, soonest first. */
export async function dueSchedules(tx: Tx, now: number, limit: number): Promise<Schedule[]> {
  return (await tx.rows<ScheduleRow>(SQL.due, [now, limit])).map(rowToSchedule);
}

/** Counts schedules from the table and its due index. */
export async function scheduleCounts(tx: Tx, dueBefore: number): Promise<{ total: number; paused: number; overdue: number }> {
  return (await tx.row<{ total: number; paused: number; overdue: number }>(SQL.counts, [dueBefore])) as { total: number; paused: number; overdue: number };
}

/** Deletes a schedule; its jobs keep their schedule id. */
export async function removeSchedule(tx: Tx, scheduleId: string): Promise<void> {
  if ((await tx.run(SQL.remove, [scheduleId])) === 0) throw new ScheduleNotFoundError(scheduleId);
}

/** Pauses a schedule (no next fire); a paused one is answered as it is. */
export async function pauseSchedule(tx: Tx, scheduleId: string): Promise<Schedule> {
  const row = await requireSchedule(tx, scheduleId);
  if (row.paused) return rowToSchedule(row);
  return rowToSchedule((await tx.row<ScheduleRow>(SQL.pause, [scheduleId])) as ScheduleRow);
}

/** Resumes a paused schedule from `nextFireAt`, anchored at `now`, while its timing is still the expected one. */
export async function resumeSchedule(tx: Tx, scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Promise<Schedule> {
  const row = await requireSchedule(tx, scheduleId);
  if (!row.paused || row.timing !== expectedTimingText) return rowToSchedule(row);
  return rowToSchedule((await tx.row<ScheduleRow>(SQL.resume, [scheduleId, nextFireAt, now])) as ScheduleRow);
}

/** Fires a schedule when its next fire time and definition are still the ones the request was made from. */
export async function fireSchedule(tx: Tx, request: FireScheduleRequest, enqueue: EnqueueInTx): Promise<FireScheduleResult> {
  const row = await tx.row<ScheduleRow>(SQL.lockedById, [request.scheduleId]);
  const current = row !== undefined && !row.paused && row.next_fire_at === request.expectedNextFireAt && row.definition === request.expectedDefinitionText;
  if (!current) return { fired: false, jobs: [], skipped: 0 };
  const { fires, skipped } = await firesLetThrough(tx, request, row.last_job_id);
  const jobs = (await enqueue(tx, fires.map((fire) => fire.job))).flatMap((result) => (result.created ? [result.job] : []));
  await tx.run(SQL.advance, [request.scheduleId, request.lastFireAt, request.nextFireAt, jobs.at(-1)?.id ?? null]);
  return { fired: true, jobs, skipped };
}

/** Enqueues `job` for the schedule outside its timing and makes it the schedule's last job. */
export async function triggerSchedule(tx: Tx, scheduleId: string, job: NewJob, enqueue: EnqueueInTx): Promise<Job> {
  await requireSchedule(tx, scheduleId);
  const [result] = await enqueue(tx, [job]);
  if (result === undefined) throw new Error("enqueue answered no result for one job");
  if (result.created) await tx.run(SQL.setLastJob, [result.job.id, scheduleId]);
  return result.job;
}

async function firesLetThrough(tx: Tx, request: FireScheduleRequest, lastJobId: string | null): Promise<{ fires: readonly ScheduleFire[]; skipped: number }> {
  const { fires, overlap } = request;
  if (overlap === "allow" || fires.length === 0) return { fires, skipped: 0 };
  const status = lastJobId === null ? undefined : (await tx.row<{ status: JobStatus }>(SQL.jobStatus, [lastJobId]))?.status;
  const blocked = status !== undefined && (overlap === "skip" ? !isFinal(status) : WAITING.includes(status));
  return blocked ? { fires: [], skipped: fires.length } : { fires: fires.slice(-1), skipped: fires.length - 1 };
}

async function requireSchedule(tx: Tx, scheduleId: string): Promise<ScheduleRow> {
  const row = await tx.row<ScheduleRow>(SQL.lockedById, [scheduleId]);
  if (row === undefined) throw new ScheduleNotFoundError(scheduleId);
  return row;
}
