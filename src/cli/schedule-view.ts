// How schedules look in the terminal: one table row per schedule, a page of details for one,
// and fire times shown in UTC and in the schedule's own zone.
import type { Job } from "../core/job.js";
import type { CatchUp, Schedule } from "../core/schedule.js";
import { ago, stamp } from "./job-view.js";
import { renderPairs, renderTable } from "./table.js";

/** A schedule with its last job as read (null: none yet, or pruned). */
export interface ScheduleWithLastJob {
  schedule: Schedule;
  lastJob: Job | null;
}

const HEADERS = ["ID", "TASK", "TIMING", "TZ", "NEXT FIRE", "LAST FIRE", "LAST JOB", "PAUSED"];

/** "cron 0 9 * * *" or "every 5m". */
export function timingText(schedule: Schedule): string {
  const { cron, everyMs } = schedule.timing;
  if (cron !== null) return `cron ${cron}`;
  return everyMs === null ? "–" : `every ${compactDuration(everyMs)}`;
}

/** The largest unit that divides the interval exactly: "90s", "5m", "2h", "1d". */
function compactDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** "latest", "none" or "backfill 5". */
function catchUpText(catchUp: CatchUp): string {
  return typeof catchUp === "string" ? catchUp : `backfill ${catchUp.backfill}`;
}

function lastJobText(schedule: Schedule, lastJob: Job | null): string {
  if (schedule.lastJobId === null) return "–";
  return lastJob === null ? "(pruned)" : lastJob.status;
}

/** A table of schedules, in id order as listed. */
export function renderSchedules(rows: readonly ScheduleWithLastJob[], now = Date.now()): string {
  if (rows.length === 0) return "No schedules.";
  return renderTable(
    HEADERS,
    rows.map(({ schedule, lastJob }) => [
      schedule.id,
      schedule.job.task,
      timingText(schedule),
      schedule.timing.cron === null ? "–" : schedule.timing.tz,
      schedule.nextFireAt === null ? "–" : ago(schedule.nextFireAt, now),
      schedule.lastFireAt === null ? "–" : ago(schedule.lastFireAt, now),
      lastJobText(schedule, lastJob),
      schedule.paused ? "yes" : "no",
    ]),
  );
}

/** Every field of one schedule that an operator looks at. */
export function renderSchedule({ schedule, lastJob }: ScheduleWithLastJob, now = Date.now()): string {
  const spec = schedule.job;
  const pairs: Array<[string, string]> = [
    ["id", schedule.id],
    ["task", spec.task],
    ["timing", timingText(schedule)],
  ];
  if (schedule.timing.cron !== null) pairs.push(["time zone", schedule.timing.tz]);
  pairs.push(
    ["queue", spec.queue],
    ["catch-up", catchUpText(schedule.catchUp)],
    ["overlap", schedule.overlap],
    ["paused", schedule.paused ? "yes" : "no"],
    ["next fire", schedule.nextFireAt === null ? "– (paused)" : fireTimeText(schedule, schedule.nextFireAt, now)],
    ["last fire", schedule.lastFireAt === null ? "–" : fireTimeText(schedule, schedule.lastFireAt, now)],
    ["last job", schedule.lastJobId === null ? "–" : `${schedule.lastJobId} (${lastJobText(schedule, lastJob)})`],
    ["payload", JSON.stringify(spec.payload)],
  );
  if (Object.keys(spec.meta).length > 0) pairs.push(["meta", JSON.stringify(spec.meta)]);
  pairs.push(["created", stamp(schedule.createdAt, now)], ["updated", stamp(schedule.updatedAt, now)]);
  return renderPairs(pairs);
}

/** A fire time in UTC, with the wall-clock time of the schedule's zone for a cron in another zone. */
export function fireTimeText(schedule: Schedule, at: number, now = Date.now()): string {
  const { cron, tz } = schedule.timing;
  if (cron === null || tz === "UTC") return stamp(at, now);
  return `${stamp(at, now)}, ${wallClock(at, tz)} ${tz}`;
}

/** "2024-05-02 09:00:00" in `tz`. */
function wallClock(at: number, tz: string): string {
  // sv-SE writes dates as YYYY-MM-DD HH:MM:SS.
  return new Intl.DateTimeFormat("sv-SE", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(at);
}
