// Properties of fire times around real DST changes, checked against wall clocks read from Intl
// (test/support/wall-clock.ts) rather than against croner, which computes them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SCHEDULE_BOUNDS } from "./job-rules.js";
import type { CatchUp } from "./schedule.js";
import { dueFires, nextFireAfter, nextFireTimes, timingOf } from "./schedule-timing.js";
import { ZoneTimeline, localDay, wallClockAtWallMs, wallClockOf, type WallClock } from "../../test/support/wall-clock.js";

const M = 60_000;
const H = 60 * M;
const DAY = 24 * H;
const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2026, 0, 1);
const ANCHOR = FROM - 400 * DAY;
// Santiago changes at midnight; Asia/Tehran has had no DST since 2022 (tz data 2025c), so it is not here.
const DST_ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"];
const TIMELINES = new Map([...DST_ZONES, "Asia/Kathmandu"].map((zone) => [zone, new ZoneTimeline(zone, FROM - DAY, TO + DAY)]));
const CHANGES = DST_ZONES.flatMap((zone) => (TIMELINES.get(zone)?.changes ?? []).map((change) => ({ zone, at: change.at })));
const timeline = (zone: string): ZoneTimeline => TIMELINES.get(zone) ?? new ZoneTimeline(zone, FROM, TO);
const RUNS = { numRuns: 200 };

/** A cron field: its text and the values it matches; `wild` when it has `*` or a step. */
interface Field {
  text: string;
  values: ReadonlySet<number>;
  wild: boolean;
}
interface CronCase {
  text: string;
  second: Field;
  minute: Field;
  hour: Field;
  day: Field;
  month: Field;
  weekday: Field;
  fixed: boolean;
}

const span = (lo: number, hi: number, step = 1): Set<number> => {
  const values = new Set<number>();
  for (let v = lo; v <= hi; v += step) values.add(v);
  return values;
};
const single = (v: number | fc.Arbitrary<number>): fc.Arbitrary<Field> =>
  (typeof v === "number" ? fc.constant(v) : v).map((n) => ({ text: `${n}`, values: new Set([n]), wild: false }));
const star = (lo: number, hi: number): Field => ({ text: "*", values: span(lo, hi), wild: true });

function field(lo: number, hi: number, favoured: number[]): fc.Arbitrary<Field> {
  const value = fc.oneof(fc.constantFrom(...favoured), fc.integer({ min: lo, max: hi }));
  return fc.oneof(
    fc.constant(star(lo, hi)),
    single(value),
    fc.uniqueArray(value, { minLength: 2, maxLength: 3 }).map((vs) => ({ text: vs.join(","), values: new Set(vs), wild: false })),
    fc.tuple(value, value).map(([a, b]) => ({ text: `${Math.min(a, b)}-${Math.max(a, b)}`, values: span(Math.min(a, b), Math.max(a, b)), wild: false })),
    fc.integer({ min: 2, max: Math.min(30, hi) }).map((k) => ({ text: `*/${k}`, values: span(lo, hi, k), wild: true })),
  );
}

const dayField = fc.oneof({ weight: 4, arbitrary: fc.constant(star(1, 31)) }, { weight: 1, arbitrary: field(1, 31, [1, 5, 6, 7, 26, 30]) });
const monthField = fc.oneof({ weight: 4, arbitrary: fc.constant(star(1, 12)) }, { weight: 1, arbitrary: fc.constant({ text: "MAR-APR,SEP-NOV", values: new Set([3, 4, 9, 10, 11]), wild: false }) });
const weekdayField = fc.oneof(
  { weight: 4, arbitrary: fc.constant(star(0, 6)) },
  { weight: 1, arbitrary: fc.constantFrom<Field>({ text: "MON-FRI", values: span(1, 5), wild: false }, { text: "SAT,SUN", values: new Set([6, 0]), wild: false }, { text: "7", values: new Set([0]), wild: false }) },
);

/** Random crons biased towards the hours DST changes touch; 5 fields, or 6 when `seconds`. */
function cronCase(seconds: boolean): fc.Arbitrary<CronCase> {
  const second = seconds ? fc.oneof(single(0), single(fc.integer({ min: 0, max: 59 })), field(0, 59, [0, 30])) : single(0);
  return fc
    .record({ second, minute: field(0, 59, [0, 15, 30, 45]), hour: field(0, 23, [0, 1, 2, 3, 23]), day: dayField, month: monthField, weekday: weekdayField })
    .map((f) => {
      const parts = [f.minute, f.hour, f.day, f.month, f.weekday].map((p) => p.text);
      const text = (seconds ? [f.second.text, ...parts] : parts).join(" ");
      return { ...f, text, fixed: !f.second.wild && !f.minute.wild && !f.hour.wild };
    });
}

function matches(c: CronCase, w: WallClock): boolean {
  if (!c.second.values.has(w.second) || !c.minute.values.has(w.minute) || !c.hour.values.has(w.hour) || !c.month.values.has(w.month)) return false;
  const day = c.day.values.has(w.day);
  const weekday = c.weekday.values.has(w.weekday);
  // Vixie cron: a starred day field defers to the other; two restricted ones match either.
  return c.day.text === "*" || c.weekday.text === "*" ? day && weekday : day || weekday;
}

/** An instant within two days of a DST change of one of the zones, or anywhere in Kathmandu's year. */
const instantNearChange = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -2 * DAY, max: 2 * DAY })).map(([change, offset]) => ({ zone: change.zone, t: change.at + offset })) },
  { weight: 1, arbitrary: fc.integer({ min: FROM, max: TO - 7 * DAY }).map((t) => ({ zone: "Asia/Kathmandu", t })) },
);

/** The fire times in (fromMs, toMs] of a 5-field cron, by reading every whole minute, per the module's DST rules. */
function expectedFires(c: CronCase, zone: string, fromMs: number, toMs: number): number[] {
  const clock = timeline(zone);
  const fires: number[] = [];
  const passed = new Set<number>();
  // Starting 3 h early covers the first pass of a repeated hour that fromMs is in the second pass of.
  let previousWall = clock.wallMsAt(Math.floor(fromMs / M) * M - 3 * H - M);
  for (let t = Math.floor(fromMs / M) * M - 3 * H; t <= toMs; t += M) {
    const wall = clock.wallMsAt(t);
    // A fixed-time cron fires a repeated wall time once, and the skipped times of a gap at its end, that day.
    let fire = matches(c, wallClockAtWallMs(wall)) && !(c.fixed && passed.has(wall));
    for (let skipped = previousWall + M; c.fixed && !fire && skipped < wall; skipped += M)
      fire = matches(c, wallClockAtWallMs(skipped)) && Math.floor(skipped / DAY) === Math.floor(wall / DAY);
    if (fire && t > fromMs) fires.push(t);
    passed.add(wall);
    previousWall = wall;
  }
  return fires;
}

describe("cron fire times around DST changes", () => {
  it("finds two DST changes a year in every zone it tests", () => {
    for (const zone of DST_ZONES) expect(timeline(zone).changes.filter((c) => c.at >= FROM && c.at < TO)).toHaveLength(2);
  });

  it("fires strictly after the instant, in strictly increasing order, on matching wall times or just after a gap", () => {
    fc.assert(
      fc.property(cronCase(true), instantNearChange, (c, { zone, t }) => {
        const timing = timingOf({ cron: c.text, tz: zone });
        const fires = nextFireTimes(timing, ANCHOR, t, 6);
        expect(fires[0]).toBe(nextFireAfter(timing, ANCHOR, t));
        let previous = t;
        for (const fire of fires) {
          expect(fire).toBeGreaterThan(previous);
          expect(nextFireAfter(timing, ANCHOR, fire - 1)).toBe(fire);
          previous = fire;
          if (matches(c, wallClockOf(zone, fire))) continue;
          // Only a fixed-time cron fires off its fields, and only where the clock has just jumped forward.
          expect(c.fixed).toBe(true);
          expect(timeline(zone).offsetMinutesAt(fire - 1000)).toBeLessThan(timeline(zone).offsetMinutesAt(fire));
        }
      }),
      RUNS,
    );
  });

  it("fires exactly the times a minute-by-minute reading of the wall clock gives", () => {
    fc.assert(
      fc.property(cronCase(false), fc.constantFrom(...CHANGES), fc.integer({ min: -4 * H, max: H }), (c, change, offset) => {
        const from = change.at + offset;
        const to = from + 5 * H;
        const wanted = expectedFires(c, change.zone, from, to);
        const fires = nextFireTimes(timingOf({ cron: c.text, tz: change.zone }), ANCHOR, from, wanted.length + 1);
        expect(fires.slice(0, wanted.length)).toEqual(wanted);
        expect(fires[wanted.length]).toBeGreaterThan(to);
      }),
      { numRuns: 100 },
    );
  });

  it("fires a daily fixed-time cron exactly once every local day, DST days included", () => {
    const hour = fc.oneof(fc.constantFrom(0, 1, 2, 3, 23), fc.integer({ min: 0, max: 23 }));
    const minute = fc.oneof(fc.constantFrom(0, 15, 30, 45), fc.integer({ min: 0, max: 59 }));
    fc.assert(
      fc.property(hour, minute, fc.constantFrom(...CHANGES), fc.integer({ min: 0, max: DAY }), (h, m, change, offset) => {
        const fires = nextFireTimes(timingOf({ cron: `${m} ${h} * * *`, tz: change.zone }), ANCHOR, change.at - 3 * DAY + offset, 6);
        const days = fires.map((fire) => localDay(wallClockOf(change.zone, fire)));
        expect(days.slice(1).map((day, i) => day - (days[i] ?? 0))).toEqual([1, 1, 1, 1, 1]);
      }),
      RUNS,
    );
  });

  it("gives UTC the same times as a zone that has kept UTC+0 without DST", () => {
    // UTC takes croner's offset arithmetic and Atlantic/Reykjavik its Intl path.
    fc.assert(
      fc.property(cronCase(true), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) }), (c, t) => {
        expect(nextFireTimes(timingOf({ cron: c.text }), ANCHOR, t, 5)).toEqual(nextFireTimes(timingOf({ cron: c.text, tz: "Atlantic/Reykjavik" }), ANCHOR, t, 5));
      }),
      { numRuns: 100 },
    );
  });
});

describe("every fire times", () => {
  it("are exactly everyMs apart in absolute time, from one interval after the anchor", () => {
    const everyMs = fc.oneof(fc.constantFrom(1000, 60_000, H, DAY), fc.integer({ min: 1000, max: 7 * DAY }));
    fc.assert(
      fc.property(everyMs, fc.integer({ min: FROM, max: TO }), fc.integer({ min: -30 * DAY, max: 30 * DAY }), (ms, anchor, offset) => {
        const timing = timingOf({ every: ms / 1000 });
        const after = anchor + offset;
        const fires = nextFireTimes(timing, anchor, after, 10);
        const first = fires[0] ?? 0;
        expect(first).toBeGreaterThan(Math.max(after, anchor));
        expect((first - anchor) % ms).toBe(0);
        expect(first - ms <= after || first === anchor + ms).toBe(true);
        expect(fires.slice(1).map((fire, i) => fire - (fires[i] ?? 0))).toEqual(Array(9).fill(ms));
      }),
      RUNS,
    );
  });
});

describe("dueFires", () => {
  const catchUp: fc.Arbitrary<CatchUp> = fc.oneof(fc.constant("latest"), fc.constant("none"), fc.integer({ min: 1, max: 40 }).map((n) => ({ backfill: n })));
  const cronTiming = fc.tuple(cronCase(false), fc.constantFrom(...CHANGES), fc.integer({ min: -3 * H, max: H })).map(([c, change, offset]) => ({ timing: timingOf({ cron: c.text, tz: change.zone }), from: change.at + offset }));
  const everyTiming = fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: FROM, max: TO })).map(([seconds, from]) => ({ timing: timingOf({ every: seconds }), from }));

  it("fires what the forward sequence of due times and the catch-up policy give", () => {
    fc.assert(
      fc.property(fc.oneof(cronTiming, everyTiming), fc.integer({ min: 0, max: 3 * H }), catchUp, ({ timing, from }, outageMs, policy) => {
        const nextFireAt = nextFireAfter(timing, ANCHOR, from);
        const now = nextFireAt + outageMs;
        const due = [nextFireAt];
        for (let t = nextFireAfter(timing, ANCHOR, nextFireAt); t <= now; t = nextFireAfter(timing, ANCHOR, t)) due.push(t);
        const missed = due.filter((t) => now - t >= SCHEDULE_BOUNDS.misfireGraceMs);
        const replay = policy === "latest" ? 1 : policy === "none" ? 0 : policy.backfill;
        expect(dueFires({ timing, anchorAt: ANCHOR, nextFireAt, catchUp: policy }, now)).toEqual({
          fireAts: [...missed.slice(Math.max(0, missed.length - replay)), ...due.slice(missed.length)],
          lastFireAt: due.at(-1),
          nextFireAt: nextFireAfter(timing, ANCHOR, now),
        });
      }),
      { numRuns: 100 },
    );
  });
});
