// How limits look in the terminal: one row per (name, key), a page for one, and the operator's
// `--rate N/PERIOD` parsed into the core's rate.
import type { LimitSetting, LimitUsage, RateLimit } from "../core/limits.js";
import { UsageError } from "./command.js";
import { formatDuration, parseDurationMs } from "./duration.js";
import { renderPairs, renderTable } from "./table.js";

const HEADERS = ["NAME", "KEY", "RUNNING", "WAITING", "RATE", "TOKENS", "STATE"];

/** "10/1s (burst 1)", or "–" without a rate. */
export function rateText(rate: Required<RateLimit> | null): string {
  return rate === null ? "–" : `${rate.limit}/${formatDuration(rate.periodMs)}${rate.burst === 1 ? "" : ` (burst ${rate.burst})`}`;
}

/** "2/5" running of the concurrency, or "2" without one. */
function runningText(usage: LimitUsage): string {
  return usage.concurrency === null ? String(usage.running) : `${usage.running}/${usage.concurrency}`;
}

/** A table of limits, in (name, key) order as listed; keys at their limit say AT LIMIT. */
export function renderLimits(limits: readonly LimitUsage[]): string {
  if (limits.length === 0) return "No limited keys: none has a running or waiting job or an override.";
  return renderTable(
    HEADERS,
    limits.map((u) => [u.name, u.key, runningText(u), String(u.waiting), rateText(u.rate), u.tokens === null ? "–" : String(Math.floor(u.tokens)), u.atLimit ? "AT LIMIT" : ""]),
  );
}

/** Every field of one (name, key). */
export function renderLimit(usage: LimitUsage): string {
  return renderPairs([
    ["limit", usage.name],
    ["key", usage.key],
    ["concurrency", usage.concurrency === null ? "none" : String(usage.concurrency)],
    ["running", String(usage.running)],
    ["waiting", String(usage.waiting)],
    ["rate", rateText(usage.rate)],
    ["tokens", usage.tokens === null ? "–" : String(usage.tokens)],
    ["state", usage.atLimit ? "AT LIMIT: a job with this key cannot start now" : "open"],
  ]);
}

/** One line saying what a setting is now. */
export function settingText(setting: LimitSetting): string {
  const target = setting.key === null ? `the default of ${setting.name}` : `${setting.name}, key ${setting.key}`;
  const parts = [setting.concurrency === null ? null : `concurrency ${setting.concurrency}`, setting.rate === null ? null : `rate ${rateText(setting.rate)}`].filter((p) => p !== null);
  return `Set ${target}: ${parts.join(", ")} (operator; wins over what workers declare until cleared).`;
}

/** Parses `--rate 10/1s` (also `10/s`, `100/1m`) and `--burst N` into a rate; throws UsageError. */
export function parseRate(text: string, burst: number | undefined, command: string): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (match === null) throw new UsageError(`--rate must be STARTS/PERIOD such as 10/1s or 100/1m (got "${text}")`, command);
  const period = match[2] as string;
  const periodMs = parseDurationMs(/^\d/.test(period) ? period : `1${period}`, "--rate's period", command);
  return { limit: Number(match[1]), periodMs, ...(burst === undefined ? {} : { burst }) };
}
