import { describe, expect, it } from "vitest";
import { newJobId, newToken, TokenSequence } from "./ids.js";

describe("newJobId", () => {
  it("makes strictly increasing ids within one process, even in the same millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => newJobId(1_700_000_000_000));
    expect(ids.every((id) => /^job_[0-9A-Z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it("sorts later times after earlier ones, and stays increasing if the clock steps back", () => {
    const a = newJobId(3_000_000_000_000);
    const b = newJobId(3_000_000_000_001);
    const c = newJobId(2_999_999_999_000);
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
  });

  it("makes unguessable tokens", () => {
    expect(newToken()).not.toBe(newToken());
    expect(newToken().length).toBeGreaterThanOrEqual(16);
  });

  it("gives lease token bases unique within a sequence and across sequences", () => {
    const a = new TokenSequence();
    const b = new TokenSequence();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      seen.add(a.next());
      seen.add(b.next());
    }
    expect(seen.size).toBe(2000);
  });
});
