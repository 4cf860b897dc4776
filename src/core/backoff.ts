// Retry delays: exponential growth with optional jitter, so that a burst of failures does
// not come back as a burst of retries at the same instant.
import type { BackoffPolicy } from "./job.js";
import { JOB_BOUNDS } from "./job-rules.js";

/** Delay before the retry that follows failed attempt number `attempt` (1-based). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = Math.min(policy.maxMs, policy.baseMs * Math.pow(policy.factor, exponent));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  // Jitter only ever shortens the delay, so maxMs stays a true upper bound.
  return Math.round(raw * (1 - jitter * random()));
}

/** Checks a policy's numbers; returns the problems found. */
export function backoffProblems(policy: BackoffPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(policy.baseMs) || policy.baseMs < 0) problems.push("backoff.baseMs must be >= 0");
  if (!Number.isFinite(policy.maxMs) || policy.maxMs < policy.baseMs || policy.maxMs > JOB_BOUNDS.maxDelayMs) problems.push("backoff.maxMs must be >= baseMs and at most 10 years");
  if (!Number.isFinite(policy.factor) || policy.factor < 1) problems.push("backoff.factor must be >= 1");
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1)
    problems.push("backoff.jitter must be between 0 and 1");
  return problems;
}
