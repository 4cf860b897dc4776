// Durations on the command line, in the one syntax of src/core/duration.ts ("500ms", "30s",
// "10m", "1h30m", "7d"; a bare number is seconds, the unit RQ users already type for timeouts
// and TTLs), with usage errors that name the option.
import { DURATION_FORMS, parseDuration } from "../core/duration.js";
import { UsageError } from "./command.js";

/**
 * Parses a duration into milliseconds; throws UsageError naming `what` (and the command, for
 * its help) when malformed, shorter than `minMs` or longer than `maxMs`.
 */
export function parseDurationMs(text: string, what: string, command: string, maxMs = Infinity, minMs = 0): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${what} must be ${DURATION_FORMS} (got "${text}")`, command);
  if (ms > maxMs) throw new UsageError(`${what} must be at most ${formatDuration(maxMs)} (got "${text}")`, command);
  if (ms < minMs) throw new UsageError(`${what} must be at least ${formatDuration(minMs)} (got "${text}")`, command);
  return ms;
}

/** Formats milliseconds for people: "850ms", "12s", "3m 20s", "5h 2m", "2d 4h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}
