// Wall clocks of IANA zones for timing tests, read straight from Intl (not from croner, whose
// answers the tests check): the local fields of an instant, the UTC offset, and where it changes.
// Intl takes ~20 µs a reading, so ZoneTimeline answers from the changes for tests that read many.

/** The local date and time of an instant in a zone; `weekday` 0 is Sunday, `month` 1 is January. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** A change of a zone's UTC offset: from `at` on, the offset is `toMinutes`. */
export interface OffsetChange {
  at: number;
  fromMinutes: number;
  toMinutes: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", weekday: "short",
      year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    });
    formats.set(zone, format);
  }
  return format;
}

/** The wall clock of `zone` at instant `t` (ms since the epoch). */
export function wallClockOf(zone: string, t: number): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatOf(zone).formatToParts(t)) parts[part.type] = part.value;
  const num = (type: string): number => Number(parts[type]);
  return { year: num("year"), month: num("month"), day: num("day"), hour: num("hour"), minute: num("minute"), second: num("second"), weekday: WEEKDAYS.indexOf(parts.weekday ?? "") };
}

/** The wall clock read as if it were UTC, in ms: equal values are equal wall times. */
export function wallMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** The local calendar day of a wall clock, as days since the epoch. */
export function localDay(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day) / 86_400_000;
}

/** The UTC offset of `zone` at `t`, in minutes (whole seconds of `t` only). */
export function offsetMinutesAt(zone: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  return (wallMs(wallClockOf(zone, whole)) - whole) / 60_000;
}

/** The wall clock whose wallMs is `ms`. */
export function wallClockAtWallMs(ms: number): WallClock {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
}

/**
 * Every change of `zone`'s UTC offset in [fromMs, toMs) (whole seconds), found by sampling every
 * 12 hours and bisecting to the second; two changes less than 12 hours apart would be missed.
 */
export function offsetChanges(zone: string, fromMs: number, toMs: number): OffsetChange[] {
  const changes: OffsetChange[] = [];
  const stepMs = 12 * 3_600_000;
  for (let lo = fromMs; lo < toMs; lo += stepMs) {
    const loOffset = offsetMinutesAt(zone, lo);
    let hi = Math.min(lo + stepMs, toMs);
    const hiOffset = offsetMinutesAt(zone, hi);
    if (hiOffset === loOffset) continue;
    let a = lo;
    while (hi - a > 1000) {
      const mid = a + Math.floor((hi - a) / 2000) * 1000;
      if (offsetMinutesAt(zone, mid) === loOffset) a = mid;
      else hi = mid;
    }
    changes.push({ at: hi, fromMinutes: loOffset, toMinutes: hiOffset });
  }
  return changes;
}

/** A zone's offsets over a span, from its changes: readings without Intl. */
export class ZoneTimeline {
  readonly changes: OffsetChange[];
  private readonly firstMinutes: number;

  constructor(readonly zone: string, readonly fromMs: number, readonly toMs: number) {
    this.changes = offsetChanges(zone, fromMs, toMs);
    this.firstMinutes = offsetMinutesAt(zone, fromMs);
  }

  /** The UTC offset at `t` (within the span), in minutes. */
  offsetMinutesAt(t: number): number {
    let minutes = this.firstMinutes;
    for (const change of this.changes) if (change.at <= t) minutes = change.toMinutes;
    return minutes;
  }

  /** The wall clock at `t`, as wallMs. */
  wallMsAt(t: number): number {
    return Math.floor(t / 1000) * 1000 + this.offsetMinutesAt(t) * 60_000;
  }
}
