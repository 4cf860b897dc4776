import { describe, expect, it } from "vitest";
import { UsageError } from "./command.js";
import { formatDuration, parseDurationMs } from "./duration.js";

describe("parseDurationMs", () => {
  it("reads units, and a bare number as seconds", () => {
    expect(parseDurationMs("500ms", "--x", "x")).toBe(500);
    expect(parseDurationMs("30", "--x", "x")).toBe(30_000);
    expect(parseDurationMs("1.5s", "--x", "x")).toBe(1500);
    expect(parseDurationMs("10m", "--x", "x")).toBe(600_000);
    expect(parseDurationMs("7d", "--x", "x")).toBe(7 * 86_400_000);
  });

  it("rejects anything else with a usage error naming the option and the accepted forms", () => {
    expect(() => parseDurationMs("-1s", "--older-than", "purge")).toThrow(UsageError);
    expect(() => parseDurationMs("soon", "--older-than", "purge")).toThrow('--older-than must be a duration such as 30s, 10m, 1h30m or 1d, or a number of seconds (got "soon")');
  });

  it("reads the compound forms of the one duration syntax", () => {
    expect(parseDurationMs("1h30m", "--x", "x")).toBe(5_400_000);
  });

  it("refuses a duration under the minimum", () => {
    expect(() => parseDurationMs("500ms", "--every", "schedules upsert", Infinity, 1000)).toThrow('--every must be at least 1s (got "500ms")');
  });

  it("refuses a duration past the maximum, and its hint names the command", () => {
    let error: unknown;
    try {
      parseDurationMs("2d", "--grace-period", "worker", 86_400_000);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: '--grace-period must be at most 1d 0h (got "2d")', hint: "Run `caudex worker --help` for usage." });
  });
});

describe("formatDuration", () => {
  it("picks the two largest units", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(200_000)).toBe("3m 20s");
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe("2d 4h");
  });
});
