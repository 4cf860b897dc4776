import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads a plain number as seconds, as RQ's --result-ttl 500 means", () => {
    expect(parseDuration("500")).toBe(500_000);
    expect(parseDuration(" 0 ")).toBe(0);
    expect(parseDuration("1.5")).toBe(1500);
  });

  it("reads every unit, alone or from the largest to the smallest", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1w")).toBe(604_800_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1h 30m 15s")).toBe(5_415_000);
    expect(parseDuration("1m500ms")).toBe(60_500);
    expect(parseDuration("30 S")).toBe(30_000);
  });

  it("refuses anything else", () => {
    for (const text of ["", "soon", "-1", "-5s", "10x", "1m1h", "1s1s", "1.2.3s", "s", "1e3", "0x10", `${"9".repeat(40)}s`]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });
});
