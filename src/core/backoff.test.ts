import { describe, expect, it } from "vitest";
import { backoffDelayMs, backoffProblems } from "./backoff.js";
import { DEFAULT_BACKOFF } from "./job-rules.js";

describe("backoffDelayMs", () => {
  const exact = { baseMs: 1000, maxMs: 10_000, factor: 2, jitter: 0 };

  it("doubles the delay per attempt up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(exact, a))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("only shortens delays with jitter, never past zero", () => {
    const policy = { ...exact, jitter: 0.5 };
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(2000);
    expect(backoffDelayMs(policy, 2, () => 0.999999)).toBe(1000);
    expect(backoffDelayMs({ ...exact, jitter: 1 }, 3, () => 0.5)).toBe(2000);
  });

  it("reports invalid policies", () => {
    expect(backoffProblems(DEFAULT_BACKOFF)).toEqual([]);
    expect(backoffProblems({ baseMs: -1, maxMs: 0, factor: 0.5, jitter: 2 })).toHaveLength(3);
  });
});
