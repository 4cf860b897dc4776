// When schedules fire: checking a timing (timingOf), its fire times (nextFireAfter,
// nextFireTimes) and what a maintenance tick fires for a due schedule (dueFires). Pure: no clock,
// no I/O; storing schedules and making their jobs belong to schedule-firing.ts and the stores.
//
// The rules (docs/decisions/0014-cron-library-and-dst.md). Times are integer ms since the epoch.
// - A schedule never fires at or before its anchor. `every` fires at anchorAt + k·everyMs for
//   k ≥ 1, in absolute time (DST plays no part): the first fire is one interval after the anchor.
// - A cron runs on the wall clock of `tz`, with Vixie cron's DST rules, as croner implements them.
//   A fixed-time cron (no `*` and no step in its seconds, minutes and hours, e.g. `30 2 * * *` or
//   `0 9-17 * * *`) fires a wall time the clock skips once, at the instant the clock jumps to
//   (02:30 on a day that goes 02:00→03:00 fires at 03:00; the times of one gap merge into that
//   fire), and a wall time that happens twice once, at its first occurrence. Any other cron
//   (`*/15 * * * *`, `@hourly`, `* 2 * * *`) fires at every real instant whose wall time matches:
//   skipped times do not fire and a repeated hour fires on both passes, so `*/15` stays 15 real
//   minutes apart through a change.
import { cronFireAfter, cronFireBefore, normaliseCron, normaliseTimeZone } from "./cron-expression.js";
import { InvalidOptionsError, InvalidScheduleError } from "./errors.js";
import { SCHEDULE_BOUNDS } from "./job-rules.js";
import type { CatchUp, ScheduleTiming } from "./schedule.js";

/** The most fire times one nextFireTimes call returns. */
export const MAX_FIRE_TIMES = 1000;

const MAX_EVERY_LENGTH = 32;
const DAY_MS = 86_400_000;
const UNIT_MS: Readonly<Record<string, number>> = { d: DAY_MS, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const UNITS_IN_ORDER = ["d", "h", "m", "s", "ms"];
const EVERY_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
// Fires are at least 1 s apart (minEveryMs, and a cron's finest field is the second), so the
// on-time window holds at most this many; the cap only guards that reasoning.
const MAX_ON_TIME_FIRES = Math.ceil(SCHEDULE_BOUNDS.misfireGraceMs / SCHEDULE_BOUNDS.minEveryMs) + 1;

/** What a declaration says about its timing: exactly one of `cron` (with an optional `tz`) and `every`. */
export interface TimingInput {
  cron?: string | undefined;
  tz?: string | undefined;
  every?: string | number | undefined;
}

/** A due schedule's work for one tick: the fire times to make jobs for, oldest first, the latest due time (fired or not) and the first fire time after now. */
export interface DueFires {
  fireAts: number[];
  lastFireAt: number;
  nextFireAt: number;
}

/** Checks and normalises a timing (cron trimmed, zone name's case fixed, every in ms); throws INVALID_SCHEDULE naming the bad part. */
export function timingOf(input: TimingInput): ScheduleTiming {
  // null counts as absent: a JSON body may carry it.
  const hasCron = input.cron != null;
  const hasEvery = input.every != null;
  if (hasCron && hasEvery) throw new InvalidScheduleError("A schedule takes a cron or an every interval, not both", { field: "cron" });
  if (!hasCron && !hasEvery) throw new InvalidScheduleError("A schedule needs a cron or an every interval; it has neither", { field: "cron" });
  if (hasEvery) {
    if (input.tz != null)
      throw new InvalidScheduleError(`tz applies to a cron only; an every interval counts absolute time, so remove tz "${String(input.tz)}"`, { field: "tz" });
    return { cron: null, tz: "UTC", everyMs: everyMsOf(input.every) };
  }
  return { cron: normaliseCron(input.cron), tz: input.tz == null ? "UTC" : normaliseTimeZone(input.tz), everyMs: null };
}

function everyMsOf(value: unknown): number {
  const shown = typeof value === "string" ? `"${value.slice(0, MAX_EVERY_LENGTH)}"` : String(value);
  let ms: number | null = null;
  if (typeof value === "number") ms = Number.isFinite(value) ? value * 1000 : null;
  else if (typeof value === "string") ms = durationMsOf(value);
  const refuse = (message: string): never => {
    throw new InvalidScheduleError(message, { field: "every" });
  };
  if (ms === null) return refuse(`Invalid every ${shown}: use a duration such as "30s", "5m", "1h", "1d" or "1h30m", or a number of seconds`);
  if (ms <= 0) refuse(`every ${shown} is not a positive duration`);
  if (ms < SCHEDULE_BOUNDS.minEveryMs) refuse(`every ${shown} is shorter than the minimum of ${SCHEDULE_BOUNDS.minEveryMs / 1000} s`);
  if (ms > SCHEDULE_BOUNDS.maxEveryMs) refuse(`every ${shown} is longer than the maximum of ${SCHEDULE_BOUNDS.maxEveryMs / DAY_MS} days`);
  return Math.round(ms);
}

/** "1h30m" → 5,400,000; units from largest to smallest, each at most once; null when malformed. */
function durationMsOf(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s === "" || s.length > MAX_EVERY_LENGTH) return null;
  let ms = 0;
  let lastRank = -1;
  EVERY_PART.lastIndex = 0;
  while (EVERY_PART.lastIndex < s.length) {
    const part = EVERY_PART.exec(s);
    const unit = part?.[2] ?? "";
    const rank = UNITS_IN_ORDER.indexOf(unit);
    if (part === null || rank <= lastRank) return null;
    lastRank = rank;
    ms += Number(part[1]) * (UNIT_MS[unit] ?? 0);
  }
  return ms;
}

/** A timing's fire times, seen from any instant. */
interface FireSequence {
  /** The first fire strictly after `t`. */
  after(t: number): number;
  /** The last fire strictly before `t`, or null when none comes after the anchor. */
  before(t: number): number | null;
}

function sequenceOf(timing: ScheduleTiming, anchorAt: number): FireSequence {
  const { cron, tz, everyMs } = timing;
  if (everyMs !== null) return everySequence(everyMs, anchorAt);
  if (cron === null) throw new InvalidScheduleError("A schedule timing has neither a cron nor an interval", { field: "cron" });
  return {
    after(t) {
      const from = Math.max(t, anchorAt);
      const next = cronFireAfter(cron, tz, from);
      // Only a cron that fires again after year 9999 gets here; timingOf refuses the ones that never fire.
      if (next === null) throw new InvalidScheduleError(`cron "${cron}" has no fire time after ${new Date(from).toISOString()}`, { field: "cron", cron });
      return next;
    },
    before(t) {
      const previous = cronFireBefore(cron, tz, t);
      return previous !== null && previous > anchorAt ? previous : null;
    },
  };
}

// Plain arithmetic, so an outage of any length costs the same; the loops only correct the
// division's rounding and run at most once or twice.
function everySequence(everyMs: number, anchorAt: number): FireSequence {
  const at = (k: number): number => anchorAt + k * everyMs;
  return {
    after(t) {
      let k = Math.max(1, Math.floor((t - anchorAt) / everyMs) + 1);
      while (k > 1 && at(k - 1) > t) k -= 1;
      while (at(k) <= t) k += 1;
      return at(k);
    },
    before(t) {
      let k = Math.ceil((t - anchorAt) / everyMs) - 1;
      while (at(k + 1) < t) k += 1;
      while (k >= 1 && at(k) >= t) k -= 1;
      return k >= 1 ? at(k) : null;
    },
  };
}

/** The first fire time strictly after `after` (and after `anchorAt`, which never fires itself). */
export function nextFireAfter(timing: ScheduleTiming, anchorAt: number, after: number): number {
  return sequenceOf(timing, anchorAt).after(after);
}

/** The next `count` (0 to MAX_FIRE_TIMES) fire times strictly after `after`, in order; throws INVALID_OPTIONS for another count. */
export function nextFireTimes(timing: ScheduleTiming, anchorAt: number, after: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_FIRE_TIMES) throw new InvalidOptionsError(`count must be an integer from 0 to ${MAX_FIRE_TIMES}`);
  const fires = sequenceOf(timing, anchorAt);
  const out: number[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    t = fires.after(t);
    out.push(t);
  }
  return out;
}

/**
 * What a tick fires for a due schedule (nextFireAt ≤ now): of the due times in [nextFireAt, now],
 * every one less than misfireGraceMs late, and of the older (missed) ones what `catchUp` says.
 * Costs at most maxBackfill + 1 steps back and ~30 forward, however long the schedule was down.
 */
export function dueFires(input: { timing: ScheduleTiming; anchorAt: number; nextFireAt: number; catchUp: CatchUp }, now: number): DueFires {
  const { timing, anchorAt, nextFireAt, catchUp } = input;
  if (nextFireAt > now) throw new InvalidOptionsError(`The schedule is not due: its next fire time ${nextFireAt} is after now (${now})`);
  const fires = sequenceOf(timing, anchorAt);
  const cutoff = now - SCHEDULE_BOUNDS.misfireGraceMs; // a due time at or before this was missed
  const onTime = onTimeFires(fires, nextFireAt, cutoff, now);
  const replay = missedToReplay(catchUp);
  // The latest missed time is needed even when none is replayed, if it is the last due time.
  const want = Math.max(replay, onTime.fireAts.length === 0 ? 1 : 0);
  const missed = nextFireAt <= cutoff ? latestMissed(fires, nextFireAt, cutoff, want) : [];
  return {
    fireAts: [...missed.slice(Math.max(0, missed.length - replay)), ...onTime.fireAts],
    // nextFireAt is due, so one of the two lists holds at least one time.
    lastFireAt: onTime.fireAts.at(-1) ?? missed.at(-1) ?? nextFireAt,
    nextFireAt: onTime.next,
  };
}

function missedToReplay(catchUp: CatchUp): number {
  if (catchUp === "latest") return 1;
  if (catchUp === "none") return 0;
  const n = Math.floor(catchUp.backfill);
  return Number.isFinite(n) ? Math.max(0, Math.min(SCHEDULE_BOUNDS.maxBackfill, n)) : 0;
}

/** The due times in (cutoff, now], and the first fire time after now. */
function onTimeFires(fires: FireSequence, nextFireAt: number, cutoff: number, now: number): { fireAts: number[]; next: number } {
  const fireAts: number[] = [];
  let t = nextFireAt > cutoff ? nextFireAt : fires.after(cutoff);
  while (t <= now && fireAts.length < MAX_ON_TIME_FIRES) {
    fireAts.push(t);
    t = fires.after(t);
  }
  return { fireAts, next: t > now ? t : fires.after(now) };
}

/** The latest `count` due times at or before `cutoff` (≥ nextFireAt), oldest first, found backwards from the cutoff. */
function latestMissed(fires: FireSequence, nextFireAt: number, cutoff: number, count: number): number[] {
  const out: number[] = [];
  let t = cutoff + 1; // integer ms: the last fire before cutoff + 1 is the last one at or before it
  while (out.length < count) {
    const previous = fires.before(t);
    if (previous === null || previous <= nextFireAt) {
      out.push(nextFireAt);
      break;
    }
    out.push(previous);
    t = previous;
  }
  return out.reverse();
}
