// Durations on the command line: "500ms", "30s", "10m", "2h", "7d"; a bare number is seconds,
// the unit RQ users already type for timeouts and TTLs.
import { UsageError } from "./command.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/;

/**
 * Parses a duration into milliseconds; throws UsageError naming `what` (and the command, for
 * its help) when malformed or longer than `maxMs`.
 */
export function parseDurationMs(text: string, what: string, command: string, maxMs = Infinity): number {
  const match = DURATION.exec(text.trim());
  if (match === null) throw new UsageError(`${what} must be a duration such as 30s, 10m, 2h or 7d (got "${text}")`, command);
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000));
  if (ms > maxMs) throw new UsageError(`${what} must be at most ${formatDuration(maxMs)} (got "${text}")`, command);
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
