import { describe, expect, it } from "vitest";
import { UsageError } from "./command.js";
import { formatDuration, parseDurationMs } from "./duration.js";

describe("parseDurationMs", () => {
  it("reads units, and a bare number as seconds", () => {
    expect(parseDurationMs("500ms", "--x")).toBe(500);
    expect(parseDurationMs("30", "--x")).toBe(30_000);
    expect(parseDurationMs("1.5s", "--x")).toBe(1500);
    expect(parseDurationMs("10m", "--x")).toBe(600_000);
    expect(parseDurationMs("7d", "--x")).toBe(7 * 86_400_000);
  });

  it("rejects anything else with a usage error naming the option", () => {
    expect(() => parseDurationMs("-1s", "--older-than")).toThrow(UsageError);
    expect(() => parseDurationMs("soon", "--older-than")).toThrow(/--older-than/);
  });
});

describe("formatDuration", () => {
  it("picks the two largest units", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(200_000)).toBe("3m 20s");
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe("2d 4h");
  });
});
