// The one duration syntax of the command line and the environment: "30s", "10m", "1h30m", "1d",
// or a plain number of seconds (RQ's unit for timeouts and TTLs). Raising errors is the caller's
// business: the CLI names the option, the configuration names the variable.

/** The accepted forms, for error messages. */
export const DURATION_FORMS = "a duration such as 30s, 10m, 1h30m or 1d, or a number of seconds";

// Longer texts are typos or abuse; no real duration needs more.
const MAX_DURATION_LENGTH = 32;
const UNIT_MS: Readonly<Record<string, number>> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const UNITS_IN_ORDER = ["w", "d", "h", "m", "s", "ms"];
// "ms" before "m" and "s": the longest unit that matches wins.
const PART = /(\d+(?:\.\d+)?) ?(ms|w|d|h|m|s)\s*/y;
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Reads a duration into milliseconds (rounded), or null when malformed. Parts go from the
 * largest unit to the smallest, each once ("1h30m", "1h 30m"); case and outer spaces are ignored.
 */
export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s === "" || s.length > MAX_DURATION_LENGTH) return null;
  if (SECONDS.test(s)) return Math.round(Number(s) * 1000);
  let ms = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const part = PART.exec(s);
    if (part === null) return null;
    const unit = part[2] as string;
    const rank = UNITS_IN_ORDER.indexOf(unit);
    if (rank <= lastRank) return null;
    lastRank = rank;
    ms += Number(part[1]) * (UNIT_MS[unit] ?? 0);
  }
  return Math.round(ms);
}
