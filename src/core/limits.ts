// Per-key limits (decision 0023): what a task declares (a name, a key derived from the job, a
// concurrency and/or a rate), the (name, key) pairs a job carries, the settings a store keeps and
// the usage it reports. The store admits jobs by them at claim; this module checks and computes.
import { InvalidOptionsError } from "./errors.js";
import type { JobMeta } from "./job.js";
import { JOB_BOUNDS } from "./job-rules.js";

/** At most `limit` starts per `periodMs`, with `burst` more at once after a quiet spell. */
export interface RateLimit {
  limit: number;
  periodMs: number;
  /** Extra starts at once (the bucket holds max(burst, 1) tokens). Default 1. */
  burst?: number;
}

/** A limit a task declares: jobs with the same key share its concurrency and rate. */
export interface LimitDefinition<P = unknown> {
  /** e.g. "per-project"; letters, digits, _ . : - */
  name: string;
  /** The job's key: a constant (one shared resource), or a function of payload and meta (null or undefined: not under this limit). */
  key: string | ((payload: P, meta: JobMeta) => string | number | null | undefined);
  /** At most this many jobs with the key hold a lease at once. */
  concurrency?: number;
  rate?: RateLimit;
}

/** One (name, key) pair a job is under. */
export interface LimitKey {
  name: string;
  key: string;
}

/** The settings of a limit name (`key` null: its default) or of one key (an override). */
export interface LimitSetting {
  name: string;
  key: string | null;
  concurrency: number | null;
  rate: Required<RateLimit> | null;
  /** Where it comes from: a worker's declaration, or an operator (which wins until cleared). */
  source: "declared" | "operator";
  updatedAt: number;
}

/** How one (name, key) stands: its effective settings, running and waiting jobs. */
export interface LimitUsage {
  name: string;
  key: string;
  concurrency: number | null;
  rate: Required<RateLimit> | null;
  running: number;
  /** Jobs of the key waiting in their lane (QUEUED), whose first limit this is. */
  waiting: number;
  /** Rate tokens left now, or null without a rate. */
  tokens: number | null;
  /** True when a job with this key cannot start now because of it. */
  atLimit: boolean;
}

/** A page of limit usage, in (name, key) order. */
export interface LimitPage {
  limits: LimitUsage[];
  nextCursor: string | null;
}

/** The pattern of limit names (as queue names). */
export const LIMIT_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Bounds of limit settings. */
export const LIMIT_BOUNDS = {
  maxConcurrency: 100_000,
  maxRate: 1_000_000,
  minPeriodMs: 1,
  maxPeriodMs: 24 * 3600_000,
  maxBurst: 1_000_000,
} as const;

/** Problems of a limit's settings (empty when valid). */
export function limitSettingProblems(setting: { concurrency?: number | null; rate?: RateLimit | null }): string[] {
  const problems: string[] = [];
  const { concurrency, rate } = setting;
  if (concurrency != null && !(Number.isInteger(concurrency) && concurrency >= 0 && concurrency <= LIMIT_BOUNDS.maxConcurrency))
    problems.push(`concurrency must be an integer from 0 to ${LIMIT_BOUNDS.maxConcurrency}`);
  if (rate != null) {
    if (typeof rate !== "object") problems.push("rate must be an object {limit, periodMs, burst?}");
    else {
      if (!(Number.isInteger(rate.limit) && rate.limit >= 1 && rate.limit <= LIMIT_BOUNDS.maxRate)) problems.push(`rate.limit must be an integer from 1 to ${LIMIT_BOUNDS.maxRate}`);
      if (!(Number.isInteger(rate.periodMs) && rate.periodMs >= LIMIT_BOUNDS.minPeriodMs && rate.periodMs <= LIMIT_BOUNDS.maxPeriodMs)) problems.push("rate.periodMs must be an integer from 1 ms to 1 day");
      if (rate.burst !== undefined && !(Number.isInteger(rate.burst) && rate.burst >= 0 && rate.burst <= LIMIT_BOUNDS.maxBurst)) problems.push(`rate.burst must be an integer from 0 to ${LIMIT_BOUNDS.maxBurst}`);
    }
  }
  if (concurrency == null && rate == null) problems.push("a limit needs a concurrency, a rate, or both");
  return problems;
}

/** A rate with its burst filled in. */
export function fullRate(rate: RateLimit | null | undefined): Required<RateLimit> | null {
  return rate == null ? null : { limit: rate.limit, periodMs: rate.periodMs, burst: rate.burst ?? 1 };
}

/** Checks a task's declared limits; throws INVALID_OPTIONS naming the first bad one. */
export function checkLimitDefinitions(task: string, limits: readonly LimitDefinition<never>[] | undefined): void {
  if (limits === undefined) return;
  if (!Array.isArray(limits) || limits.length > JOB_BOUNDS.maxLimitsPerJob) throw new InvalidOptionsError(`Task ${task}: limits must be an array of at most ${JOB_BOUNDS.maxLimitsPerJob}`);
  const names = new Set<string>();
  // (Array.isArray widens a readonly array to any[]: the declared type is the one to keep.)
  for (const limit of limits as readonly LimitDefinition<never>[]) {
    if (!LIMIT_NAME_PATTERN.test(limit.name)) throw new InvalidOptionsError(`Task ${task}: limit name "${limit.name}" is not valid (letters, digits, _ . : -, at most 64)`);
    if (names.has(limit.name)) throw new InvalidOptionsError(`Task ${task}: limit "${limit.name}" is declared twice`);
    names.add(limit.name);
    if (typeof limit.key !== "string" && typeof limit.key !== "function") throw new InvalidOptionsError(`Task ${task}: limit "${limit.name}" needs a key (a string or a function of payload and meta)`);
    const problems = limitSettingProblems(limit);
    if (problems.length > 0) throw new InvalidOptionsError(`Task ${task}: limit "${limit.name}": ${problems.join("; ")}`);
  }
}

/**
 * The (name, key) pairs of a job: the task's limits, keyed from its payload and meta, then the
 * explicit keys given at enqueue (which replace a declared key of the same name, or add a limit).
 */
export function limitKeysOf(declared: readonly LimitDefinition<never>[] | undefined, payload: unknown, meta: JobMeta, explicit: Readonly<Record<string, string>> | undefined): LimitKey[] {
  const keys: LimitKey[] = [];
  for (const limit of declared ?? []) {
    if (explicit !== undefined && Object.hasOwn(explicit, limit.name)) continue;
    const value = typeof limit.key === "string" ? limit.key : (limit.key as (p: unknown, m: JobMeta) => unknown)(payload, meta);
    if (value === null || value === undefined || value === "") continue;
    if (typeof value !== "string" && typeof value !== "number") throw new InvalidOptionsError(`The key of limit "${limit.name}" must come out as a string or a number`);
    keys.push({ name: limit.name, key: String(value) });
  }
  for (const [name, key] of Object.entries(explicit ?? {})) keys.push({ name, key });
  const problems = limitKeyProblems(keys);
  if (problems.length > 0) throw new InvalidOptionsError(`Invalid limit keys: ${problems.join("; ")}`);
  return keys;
}

/** Problems of a job's (name, key) pairs. */
export function limitKeyProblems(keys: readonly LimitKey[]): string[] {
  const problems: string[] = [];
  if (keys.length > JOB_BOUNDS.maxLimitsPerJob) problems.push(`a job is under at most ${JOB_BOUNDS.maxLimitsPerJob} limits`);
  const names = new Set<string>();
  for (const { name, key } of keys) {
    if (!LIMIT_NAME_PATTERN.test(name)) problems.push(`limit name "${name}" is not valid (letters, digits, _ . : -, at most 64)`);
    if (typeof key !== "string" || key.length === 0 || key.length > JOB_BOUNDS.maxKeyLength || key.includes("\u0000")) problems.push(`the key of limit "${name}" must be 1 to ${JOB_BOUNDS.maxKeyLength} characters`);
    if (names.has(name)) problems.push(`limit "${name}" is given twice`);
    names.add(name);
  }
  return problems;
}

/** What separates a lane's limit name from its key (a character no name and no key holds). */
export const LANE_SEPARATOR = "\u001f";

/** The lane of a job: its first limit's name and key, or null for its queue's main list. */
export function laneOf(keys: readonly LimitKey[] | undefined): string | null {
  const first = keys?.[0];
  return first === undefined ? null : `${first.name}${LANE_SEPARATOR}${first.key}`;
}

/** A stored rate (its columns; any missing: no rate), with the burst filled in. */
export function storedRate(limit: number | null, periodMs: number | null, burst: number | null): Required<RateLimit> | null {
  return limit === null || periodMs === null ? null : { limit, periodMs, burst: burst ?? 1 };
}

/**
 * A token bucket's tokens at `now`: its stored tokens refilled at `limit` per `periodMs` since
 * they were written, at most its size, max(burst, 1); a bucket never written is full.
 */
export function bucketTokens(rate: Required<RateLimit>, tokens: number | null | undefined, writtenAt: number | null | undefined, now: number): number {
  const size = Math.max(rate.burst, 1);
  if (tokens === null || tokens === undefined || writtenAt === null || writtenAt === undefined) return size;
  return Math.min(size, tokens + ((now - writtenAt) * rate.limit) / rate.periodMs);
}
