// Cron expressions and their time zones: what syntax Caudex takes, the zone names it keeps, and
// the next or previous fire time of a cron in a zone. Parsing, matching and the DST rules are
// croner's (see docs/decisions/0014-cron-library-and-dst.md); schedule-timing.ts builds on this.
import { Cron } from "croner";
import { InvalidScheduleError } from "./errors.js";

/** The longest cron Caudex takes, in characters; longer input is refused before any parsing. */
export const MAX_CRON_LENGTH = 256;
/** The longest time zone name Caudex takes (IANA names are at most about 30 characters). */
export const MAX_TZ_LENGTH = 64;

const NICKNAMES = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"];
const FIELDS_5 = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;
const FIELDS_6 = ["second", ...FIELDS_5] as const;
const MONTH_NAMES = new Set(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]);
const DAY_NAMES = new Set(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]);
// Only the portable syntax: croner's L, W, #, ? and + are refused, so that a stored cron stays
// valid for any matcher we might move to. Taking them later would widen, never break, the syntax.
const NUMERIC_FIELD = /^[0-9*,/-]+$/;
const NAMED_FIELD = /^[0-9A-Za-z*,/-]+$/;
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
// A cron fires again within 8 years (29 February skips 1900 and 2100) or never: looking once from
// a fixed instant tells which, without reading the clock.
const NEVER_FIRES_PROBE = new Date(Date.UTC(2000, 0, 1));

function refuse(message: string, details: Record<string, unknown>, cause?: unknown): never {
  throw new InvalidScheduleError(message, details, cause);
}

/** Checks a cron (5 fields, or 6 with seconds first, or a nickname) and returns it trimmed with single spaces; throws INVALID_SCHEDULE. */
export function normaliseCron(input: unknown): string {
  if (typeof input !== "string") refuse("cron must be a string", { field: "cron" });
  if (input.length > MAX_CRON_LENGTH) refuse(`cron is longer than ${MAX_CRON_LENGTH} characters`, { field: "cron" });
  const cron = input.trim().replace(/\s+/g, " ");
  if (cron === "") refuse("cron is empty", { field: "cron", cron: input });
  if (cron.startsWith("@")) {
    if (!NICKNAMES.includes(cron.toLowerCase()))
      refuse(`Invalid cron "${cron}": unknown nickname; use one of ${NICKNAMES.join(", ")}`, { field: "cron", cron });
  } else {
    checkFields(cron);
  }
  let parsed: Cron;
  try {
    parsed = newCron(cron, "UTC");
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, "");
    refuse(`Invalid cron "${cron}": ${reason}`, { field: "cron", cron }, error);
  }
  if (parsed.nextRun(NEVER_FIRES_PROBE) === null)
    refuse(`Invalid cron "${cron}": it never fires (no month has the day it names)`, { field: "cron", cron });
  return cron;
}

function checkFields(cron: string): void {
  const parts = cron.split(" ");
  const names = parts.length === 6 ? FIELDS_6 : parts.length === 5 ? FIELDS_5 : null;
  if (names === null)
    refuse(`Invalid cron "${cron}": it has ${parts.length} fields; use 5 (minute hour day-of-month month day-of-week) or 6 with seconds first`, { field: "cron", cron });
  parts.forEach((part, i) => {
    const name = names[i] ?? "";
    const named = name === "month" || name === "day-of-week";
    if (!(named ? NAMED_FIELD : NUMERIC_FIELD).test(part))
      refuse(`Invalid cron "${cron}": the ${name} field "${part}" may only hold ${named ? "numbers, names" : "numbers"} and * , - /`, { field: "cron", cron });
    for (const word of part.match(/[A-Za-z]+/g) ?? []) {
      const known = name === "month" ? MONTH_NAMES : DAY_NAMES;
      if (!known.has(word.toLowerCase()))
        refuse(`Invalid cron "${cron}": "${word}" in the ${name} field is not a ${name === "month" ? "month name (JAN-DEC)" : "day name (SUN-SAT)"}`, { field: "cron", cron });
    }
  });
}

/** Checks an IANA time zone name and returns it with the case Intl gives it ("utc" → "UTC"); throws INVALID_SCHEDULE. */
export function normaliseTimeZone(input: unknown): string {
  if (typeof input !== "string") refuse("tz must be a string", { field: "tz" });
  const tz = input.trim();
  if (tz.length > MAX_TZ_LENGTH) refuse(`tz is longer than ${MAX_TZ_LENGTH} characters`, { field: "tz" });
  // Offsets such as "+05:30" are refused: a schedule names a place, whose rules may change.
  if (!ZONE_NAME.test(tz)) refuse(`Unknown time zone "${tz}": use an IANA name such as "Europe/Paris" or "UTC"`, { field: "tz", tz });
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat(undefined, { timeZone: tz }).resolvedOptions().timeZone;
  } catch (error) {
    refuse(`Unknown time zone "${tz}": use an IANA name such as "Europe/Paris" or "UTC"`, { field: "tz", tz }, error);
  }
  // An alias keeps the name given: ICU's canonical names change between Node versions (Node 20
  // turns Asia/Kathmandu into Asia/Katmandu), and people expect to see the name they wrote.
  return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
}

// Croner does not validate the zone until it is used, and a timing read back from a store was
// checked when it was stored; so building one here cannot fail on a name timingOf accepted.
function newCron(cron: string, tz: string): Cron {
  const base = { mode: "5-or-6-parts", fixedTimeRule: "no-wildcard", domAndDow: false } as const;
  // Zones without DST go through croner's offset arithmetic, about 10x faster than Intl lookups.
  const utc = new Intl.DateTimeFormat(undefined, { timeZone: tz }).resolvedOptions().timeZone === "UTC";
  return new Cron(cron, utc ? { ...base, utcOffset: 0 } : { ...base, timezone: tz });
}

// A Cron object costs ~50 µs to build; a tick asks for the same few timings again and again.
const CACHE_SIZE = 512;
const cache = new Map<string, Cron>();

function cronFor(cron: string, tz: string): Cron {
  const key = `${tz} ${cron}`;
  let hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
  } else {
    hit = newCron(cron, tz);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value ?? "");
  }
  cache.set(key, hit);
  return hit;
}

/** The first fire time of `cron` in `tz` strictly after `afterMs`, or null if there is none before year 10000. */
export function cronFireAfter(cron: string, tz: string, afterMs: number): number | null {
  return cronFor(cron, tz).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** The last fire time of `cron` in `tz` strictly before `beforeMs`, or null if there is none. */
export function cronFireBefore(cron: string, tz: string, beforeMs: number): number | null {
  return cronFor(cron, tz).previousRuns(1, new Date(beforeMs))[0]?.getTime() ?? null;
}
