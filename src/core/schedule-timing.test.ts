import { describe, expect, it } from "vitest";
import { CaudexError } from "./errors.js";
import { SCHEDULE_BOUNDS } from "./job-rules.js";
import type { CatchUp, ScheduleTiming } from "./schedule.js";
import { dueFires, nextFireAfter, nextFireTimes, timingOf, type TimingInput } from "./schedule-timing.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const DAY = 24 * H;
/** An instant from an ISO time with its offset, e.g. "2025-03-09T03:00-04:00". */
const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad test time ${iso}`);
  return t;
};
const isos = (times: number[]): string[] => times.map((t) => new Date(t).toISOString());
const cron = (expression: string, tz = "UTC"): ScheduleTiming => timingOf({ cron: expression, tz });
/** The next fire times after `from`, as UTC ISO strings, for a cron anchored long before. */
const firesAfter = (timing: ScheduleTiming, from: string, count: number): string[] => isos(nextFireTimes(timing, 0, at(from), count));
const expected = (...times: string[]): string[] => isos(times.map(at));

function errorOf(input: TimingInput): CaudexError {
  try {
    timingOf(input);
  } catch (error) {
    if (error instanceof CaudexError) return error;
    throw error;
  }
  throw new Error(`timingOf accepted ${JSON.stringify(input)}`);
}

describe("timingOf", () => {
  it("keeps a cron trimmed with single spaces and fixes the case of its zone", () => {
    expect(timingOf({ cron: "  0  9 * *\tMON-FRI ", tz: "europe/paris" })).toEqual({ cron: "0 9 * * MON-FRI", tz: "Europe/Paris", everyMs: null });
    expect(timingOf({ cron: "*/5 * * * *" })).toEqual({ cron: "*/5 * * * *", tz: "UTC", everyMs: null });
    expect(timingOf({ cron: "0 0 * * *", tz: "utc" }).tz).toBe("UTC");
  });

  it("keeps a zone alias as written, since ICU's canonical names differ between Node versions", () => {
    expect(cron("0 9 * * *", "Asia/Kolkata").tz).toBe("Asia/Kolkata");
    expect(cron("0 9 * * *", "Asia/Kathmandu").tz).toBe("Asia/Kathmandu");
  });

  it("takes nicknames, 6-field crons with seconds, names, ranges, lists and steps", () => {
    for (const expression of ["@hourly", "@daily", "@Midnight", "@weekly", "@monthly", "@yearly", "@annually", "30 15 10 * * *", "0 0 1,15 JAN-MAR,dec SUN", "*/10 8-18/2 * * mon-fri", "0 0 * * 7"])
      expect(cron(expression).cron).toBe(expression);
  });

  it("reads every as a duration or a number of seconds", () => {
    const ms = (every: string | number): number | null => timingOf({ every }).everyMs;
    expect([ms("30s"), ms("5m"), ms("1h"), ms("1d"), ms("90s"), ms("1h30m"), ms("2m30s"), ms("1.5h"), ms("1500ms")]).toEqual([30 * S, 5 * M, H, DAY, 90 * S, 90 * M, 150 * S, 90 * M, 1500]);
    expect([ms(1), ms(1.5), ms(3600), ms(" 10S ")]).toEqual([S, 1500, H, 10 * S]);
    expect(timingOf({ every: "1m" })).toEqual({ cron: null, tz: "UTC", everyMs: M });
  });

  const refused: [TimingInput, string][] = [
    [{}, "neither"],
    [{ cron: "@hourly", every: "1h" }, "not both"],
    [{ cron: "* * * *" }, 'cron "* * * *": it has 4 fields'],
    [{ cron: "0 0 0 * * * *" }, "it has 7 fields"],
    [{ cron: "61 * * * *" }, "minute: 61"],
    [{ cron: "0 24 * * *" }, "hour: 24"],
    [{ cron: "0 0 L * *" }, 'the day-of-month field "L"'],
    [{ cron: "0 0 * * 5#2" }, 'the day-of-week field "5#2"'],
    [{ cron: "0 0 ? * *" }, "day-of-month"],
    [{ cron: "0 0 * * FOO" }, '"FOO" in the day-of-week field'],
    [{ cron: "0 0 1 JANUARY *" }, '"JANUARY" in the month field'],
    [{ cron: "5/15 * * * *" }, "5/15"],
    [{ cron: "0 0 31 4 *" }, "never fires"],
    [{ cron: "@reboot" }, "unknown nickname"],
    [{ cron: "   " }, "cron is empty"],
    [{ cron: `0 0 * * ${"1,".repeat(130)}1` }, "cron is longer than 256"],
    [{ cron: "0 9 * * *", tz: "Mars/Olympus_Mons" }, 'Unknown time zone "Mars/Olympus_Mons"'],
    [{ cron: "0 9 * * *", tz: "+05:30" }, 'Unknown time zone "+05:30"'],
    [{ cron: "0 9 * * *", tz: "A".repeat(65) }, "tz is longer than 64"],
    [{ every: "5m", tz: "UTC" }, "tz applies to a cron only"],
    [{ every: "500ms" }, 'every "500ms" is shorter than the minimum of 1 s'],
    [{ every: 0.5 }, "every 0.5 is shorter"],
    [{ every: 0 }, "every 0 is not a positive duration"],
    [{ every: -5 }, "every -5 is not a positive duration"],
    [{ every: "0s" }, "not a positive duration"],
    [{ every: "367d" }, 'every "367d" is longer than the maximum of 366 days'],
    [{ every: "5 minutes" }, 'Invalid every "5 minutes"'],
    [{ every: "1m1h" }, 'Invalid every "1m1h"'],
    [{ every: "30" }, 'Invalid every "30"'],
    [{ every: Number.NaN }, "Invalid every NaN"],
  ];
  it.each(refused)("refuses %j with INVALID_SCHEDULE naming the problem", (input, message) => {
    const error = errorOf(input);
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(message);
  });

  it("refuses values of the wrong type from a JSON body", () => {
    expect(errorOf({ cron: 5 } as unknown as TimingInput).message).toBe("cron must be a string");
    expect(errorOf({ cron: "@daily", tz: 1 } as unknown as TimingInput).message).toBe("tz must be a string");
    expect(errorOf({ every: true } as unknown as TimingInput).message).toContain("Invalid every true");
  });

  it("keeps the library's reason as the cause", () => {
    expect(errorOf({ cron: "61 * * * *" }).cause).toBeInstanceOf(Error);
  });
});

describe("nextFireAfter and nextFireTimes", () => {
  const anchor = at("2025-01-01T00:00:07Z");
  const every30s = timingOf({ every: "30s" });

  it("fires every one interval after its anchor, never at the anchor itself", () => {
    expect(nextFireTimes(every30s, anchor, anchor, 3)).toEqual([anchor + 30 * S, anchor + 60 * S, anchor + 90 * S]);
    expect(nextFireAfter(every30s, anchor, anchor - H)).toBe(anchor + 30 * S);
    expect(nextFireAfter(every30s, anchor, anchor + 45 * S)).toBe(anchor + 60 * S);
    expect(nextFireAfter(every30s, anchor, anchor + 60 * S)).toBe(anchor + 90 * S);
    expect(nextFireAfter(every30s, anchor, anchor + 60 * S - 1)).toBe(anchor + 60 * S);
  });

  it("fires a cron strictly after the given instant, and never at or before the anchor", () => {
    const hourly = cron("@hourly");
    expect(firesAfter(hourly, "2025-06-01T10:20Z", 3)).toEqual(expected("2025-06-01T11:00Z", "2025-06-01T12:00Z", "2025-06-01T13:00Z"));
    expect(nextFireAfter(hourly, 0, at("2025-06-01T11:00Z"))).toBe(at("2025-06-01T12:00Z"));
    expect(nextFireAfter(hourly, 0, at("2025-06-01T11:00Z") - 1)).toBe(at("2025-06-01T11:00Z"));
    expect(nextFireAfter(hourly, at("2025-06-01T11:00Z"), at("2025-01-01T00:00Z"))).toBe(at("2025-06-01T12:00Z"));
  });

  it("fires a 6-field cron on its seconds", () => {
    expect(firesAfter(cron("*/20 * * * * *"), "2025-06-01T10:00:05Z", 3)).toEqual(expected("2025-06-01T10:00:20Z", "2025-06-01T10:00:40Z", "2025-06-01T10:01:00Z"));
    expect(firesAfter(cron("30 15 10 * * *"), "2025-06-01T12:00Z", 2)).toEqual(expected("2025-06-02T10:15:30Z", "2025-06-03T10:15:30Z"));
  });

  it("fires weekdays at 09:00 in Paris through the week of the spring change", () => {
    expect(firesAfter(cron("0 9 * * MON-FRI", "Europe/Paris"), "2025-03-22T12:00+01:00", 6)).toEqual(
      expected("2025-03-24T09:00+01:00", "2025-03-25T09:00+01:00", "2025-03-26T09:00+01:00", "2025-03-27T09:00+01:00", "2025-03-28T09:00+01:00", "2025-03-31T09:00+02:00"),
    );
  });

  it("fires a time the spring change skips once, when the clock jumps (New York, Berlin)", () => {
    expect(firesAfter(cron("0 30 2 * * *", "America/New_York"), "2025-03-08T12:00-05:00", 2)).toEqual(expected("2025-03-09T03:00-04:00", "2025-03-10T02:30-04:00"));
    expect(firesAfter(cron("30 2 * * *", "Europe/Berlin"), "2025-03-29T12:00+01:00", 2)).toEqual(expected("2025-03-30T03:00+02:00", "2025-03-31T02:30+02:00"));
    // Two skipped times of one gap make one fire.
    expect(firesAfter(cron("0,30 2 * * *", "Europe/Berlin"), "2025-03-29T12:00+01:00", 2)).toEqual(expected("2025-03-30T03:00+02:00", "2025-03-31T02:00+02:00"));
  });

  it("fires a time the autumn change repeats once, at its first occurrence (New York, Berlin)", () => {
    expect(firesAfter(cron("0 30 1 * * *", "America/New_York"), "2025-11-01T12:00-04:00", 2)).toEqual(expected("2025-11-02T01:30-04:00", "2025-11-03T01:30-05:00"));
    expect(firesAfter(cron("0 30 2 * * *", "Europe/Berlin"), "2025-10-25T12:00+02:00", 2)).toEqual(expected("2025-10-26T02:30+02:00", "2025-10-27T02:30+01:00"));
    // Asked from inside the second pass, the repeated time has already fired.
    expect(firesAfter(cron("0 30 1 * * *", "America/New_York"), "2025-11-02T01:10-05:00", 1)).toEqual(expected("2025-11-03T01:30-05:00"));
  });

  it("fires a cron with a wildcard or step in its time fields at every real instant that matches", () => {
    const quarterHours = cron("*/30 * * * *", "America/New_York");
    expect(firesAfter(quarterHours, "2025-11-02T00:45-04:00", 5)).toEqual(expected("2025-11-02T01:00-04:00", "2025-11-02T01:30-04:00", "2025-11-02T01:00-05:00", "2025-11-02T01:30-05:00", "2025-11-02T02:00-05:00"));
    expect(firesAfter(quarterHours, "2025-03-09T01:15-05:00", 3)).toEqual(expected("2025-03-09T01:30-05:00", "2025-03-09T03:00-04:00", "2025-03-09T03:30-04:00"));
    expect(firesAfter(cron("@hourly", "Europe/Berlin"), "2025-10-26T01:30+02:00", 3)).toEqual(expected("2025-10-26T02:00+02:00", "2025-10-26T02:00+01:00", "2025-10-26T03:00+01:00"));
  });

  it("follows Lord Howe's 30-minute changes", () => {
    // 5 October 2025: 02:00 (+10:30) → 02:30 (+11:00).
    expect(firesAfter(cron("15 2 * * *", "Australia/Lord_Howe"), "2025-10-04T12:00+10:30", 2)).toEqual(expected("2025-10-05T02:30+11:00", "2025-10-06T02:15+11:00"));
    // 6 April 2025: 02:00 (+11:00) → 01:30 (+10:30).
    expect(firesAfter(cron("45 1 * * *", "Australia/Lord_Howe"), "2025-04-05T12:00+11:00", 2)).toEqual(expected("2025-04-06T01:45+11:00", "2025-04-07T01:45+10:30"));
    expect(firesAfter(cron("*/15 * * * *", "Australia/Lord_Howe"), "2025-04-06T01:20+11:00", 5)).toEqual(
      expected("2025-04-06T01:30+11:00", "2025-04-06T01:45+11:00", "2025-04-06T01:30+10:30", "2025-04-06T01:45+10:30", "2025-04-06T02:00+10:30"),
    );
  });

  it("fires on Kathmandu's +05:45 wall clock, and across Santiago's midnight change", () => {
    expect(firesAfter(cron("0 9 * * *", "Asia/Kathmandu"), "2025-06-01T00:00Z", 2)).toEqual(expected("2025-06-01T03:15Z", "2025-06-02T03:15Z"));
    expect(firesAfter(cron("@daily", "Asia/Kathmandu"), "2025-06-01T00:00Z", 1)).toEqual(expected("2025-06-01T18:15Z"));
    // 7 September 2025: 00:00 (-04:00) → 01:00 (-03:00).
    expect(firesAfter(cron("30 0 * * *", "America/Santiago"), "2025-09-06T12:00-04:00", 2)).toEqual(expected("2025-09-07T01:00-03:00", "2025-09-08T00:30-03:00"));
  });

  it("takes 0 to 1000 as a count", () => {
    expect(nextFireTimes(every30s, anchor, anchor, 0)).toEqual([]);
    expect(nextFireTimes(cron("* * * * * *"), 0, anchor, 1000)).toHaveLength(1000);
    for (const count of [1001, -1, 1.5]) expect(() => nextFireTimes(every30s, anchor, anchor, count)).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
  });
});

describe("dueFires", () => {
  const anchor = at("2025-01-01T00:00Z");
  const grace = SCHEDULE_BOUNDS.misfireGraceMs;
  const due = (timing: ScheduleTiming, nextFireAt: number, catchUp: CatchUp, now: number) => dueFires({ timing, anchorAt: anchor, nextFireAt, catchUp }, now);
  const everySecond = timingOf({ every: "1s" });
  const everyMinute = timingOf({ every: "1m" });

  it("fires every due time that is less than the grace late", () => {
    expect(due(everySecond, anchor + S, "none", anchor + 5 * S)).toEqual({ fireAts: [1, 2, 3, 4, 5].map((k) => anchor + k * S), lastFireAt: anchor + 5 * S, nextFireAt: anchor + 6 * S });
  });

  it("counts a time exactly the grace late as missed", () => {
    const every10s = timingOf({ every: "10s" });
    const now = anchor + 10 * S + grace;
    expect(due(every10s, anchor + 10 * S, "none", now).fireAts).toEqual([20, 30, 40].map((k) => anchor + k * S));
    expect(due(every10s, anchor + 10 * S, "latest", now).fireAts).toEqual([10, 20, 30, 40].map((k) => anchor + k * S));
  });

  it("fires the latest missed time, none, or the latest n after an outage, with every on-time one", () => {
    const now = anchor + 61 * M + 10 * S; // down an hour: 1..60 min missed, 61 min on time
    const outcome = (catchUp: CatchUp) => due(everyMinute, anchor + M, catchUp, now);
    expect(outcome("latest")).toEqual({ fireAts: [anchor + 60 * M, anchor + 61 * M], lastFireAt: anchor + 61 * M, nextFireAt: anchor + 62 * M });
    expect(outcome("none").fireAts).toEqual([anchor + 61 * M]);
    expect(outcome({ backfill: 3 }).fireAts).toEqual([58, 59, 60, 61].map((k) => anchor + k * M));
    expect(outcome({ backfill: 1000 }).fireAts).toEqual(Array.from({ length: 61 }, (_, i) => anchor + (i + 1) * M));
  });

  it("reports the latest missed time as the last fire even when none fires", () => {
    const now = anchor + 61 * M + 40 * S; // 61 min is 40 s late: missed too
    expect(due(everyMinute, anchor + M, "none", now)).toEqual({ fireAts: [], lastFireAt: anchor + 61 * M, nextFireAt: anchor + 62 * M });
    expect(due(everyMinute, anchor + M, "latest", now).fireAts).toEqual([anchor + 61 * M]);
    // The stored next fire time is due even when it is the only one.
    expect(due(everyMinute, anchor + M, "none", anchor + M + grace)).toEqual({ fireAts: [], lastFireAt: anchor + M, nextFireAt: anchor + 2 * M });
  });

  it("replays the missed hours of a cron through the autumn change", () => {
    const hourly = cron("@hourly", "Europe/Berlin");
    const outcome = due(hourly, at("2025-10-25T22:00+02:00"), { backfill: 4 }, at("2025-10-26T04:00:10+01:00"));
    // Four missed (02:00 twice: two real hours), then 04:00, which is 10 s late and on time.
    expect(isos(outcome.fireAts)).toEqual(expected("2025-10-26T01:00+02:00", "2025-10-26T02:00+02:00", "2025-10-26T02:00+01:00", "2025-10-26T03:00+01:00", "2025-10-26T04:00+01:00"));
    expect(outcome.nextFireAt).toBe(at("2025-10-26T05:00+01:00"));
  });

  it("stays bounded after a week down at one fire a second", () => {
    const now = anchor + 7 * DAY;
    for (const timing of [everySecond, cron("* * * * * *"), cron("* * * * * *", "Europe/Berlin")]) {
      const backfill = due(timing, anchor + S, { backfill: SCHEDULE_BOUNDS.maxBackfill }, now);
      // 1000 missed plus the 30 on time: (now - 30 s, now].
      expect(backfill.fireAts).toHaveLength(1030);
      expect(backfill.fireAts[0]).toBe(now - 1029 * S);
      expect(backfill).toMatchObject({ lastFireAt: now, nextFireAt: now + S });
      expect(due(timing, anchor + S, "latest", now).fireAts).toEqual(Array.from({ length: 31 }, (_, i) => now - (30 - i) * S));
      expect(due(timing, anchor + S, "none", now).fireAts).toHaveLength(30);
    }
  });

  it("refuses a schedule that is not due", () => {
    expect(() => due(everyMinute, anchor + 2 * M, "latest", anchor + M)).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
  });
});
