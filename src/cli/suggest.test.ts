import { describe, expect, it } from "vitest";
import { closest, commandSuggestion, editDistance, unknownFlagMessage } from "./suggest.js";

const OPTIONS = { concurrency: { type: "string" }, queues: { type: "string", short: "q" }, burst: { type: "boolean", short: "b" }, help: { type: "boolean", short: "h" } } as const;

describe("editDistance", () => {
  it("counts inserts, deletes, substitutions and a swap of neighbours as one edit each", () => {
    expect(editDistance("concurency", "concurrency")).toBe(1);
    expect(editDistance("wroker", "worker")).toBe(1);
    expect(editDistance("stast", "stats")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("closest", () => {
  it("suggests the nearest name only when it is near enough to be a typo", () => {
    expect(closest("wroker", ["workers", "worker", "why"])).toBe("worker");
    expect(closest("WORKER", ["worker"])).toBe("worker");
    expect(closest("top", ["job", "jobs", "stats"])).toBeNull();
    expect(closest("frobnicate", ["enqueue", "retry"])).toBeNull();
    expect(closest("", ["a"])).toBeNull();
  });
});

describe("commandSuggestion", () => {
  it("maps RQ's command names to Caudex's, and otherwise suggests the nearest", () => {
    expect(commandSuggestion("info", ["stats", "workers"])).toBe(" Did you mean stats? (rq info is caudex stats)");
    expect(commandSuggestion("requeue", ["retry"])).toContain("Did you mean retry?");
    expect(commandSuggestion("stast", ["stats"])).toBe(" Did you mean stats?");
    expect(commandSuggestion("constructor", ["stats"])).toBe("");
  });
});

describe("unknownFlagMessage", () => {
  it("names the first unknown flag and the declared one it is closest to", () => {
    expect(unknownFlagMessage(["high", "--concurency", "4"], OPTIONS)).toBe("Unknown flag --concurency. Did you mean --concurrency?");
    expect(unknownFlagMessage(["--concurency=4"], OPTIONS)).toBe("Unknown flag --concurency. Did you mean --concurrency?");
    expect(unknownFlagMessage(["--colour"], OPTIONS)).toBe("Unknown flag --colour.");
    expect(unknownFlagMessage(["-x"], OPTIONS)).toBe("Unknown flag -x.");
  });

  it("accepts declared long and short flags, and anything after --", () => {
    expect(unknownFlagMessage(["-q", "high", "-b", "--concurrency", "2", "--help", "--", "--whatever"], OPTIONS)).toBeNull();
  });
});
