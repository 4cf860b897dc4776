// Health's reading of Redis memory: a warning near maxmemory, the refusal at it, nothing without a limit.
import { describe, expect, it } from "vitest";
import { memoryHealth } from "./redis-memory.js";

const MIB = 1024 * 1024;

describe("memoryHealth", () => {
  it("says nothing below 90% of maxmemory and warns from there on", () => {
    expect(memoryHealth({ usedBytes: 50 * MIB, maxBytes: 100 * MIB }, null)).toEqual({ warnings: [], fullness: 0.5 });
    const near = memoryHealth({ usedBytes: 93 * MIB, maxBytes: 100 * MIB }, null);
    expect(near.writesRefused).toBeUndefined();
    expect(near.warnings).toEqual(["Redis memory is at 93.0 MiB of maxmemory 100.0 MiB (93%): at maxmemory it refuses every write and all workers stop"]);
  });

  it("reports writes refused at maxmemory, and just under it after a refused write", () => {
    expect(memoryHealth({ usedBytes: 100 * MIB, maxBytes: 100 * MIB }, null).writesRefused).toContain("refuses writes");
    expect(memoryHealth({ usedBytes: 99 * MIB, maxBytes: 100 * MIB }, "OOM command not allowed").writesRefused).toContain("refuses writes");
    expect(memoryHealth({ usedBytes: 99 * MIB, maxBytes: 100 * MIB }, null).writesRefused).toBeUndefined();
    expect(memoryHealth({ usedBytes: 20 * MIB, maxBytes: 100 * MIB }, "OOM command not allowed").writesRefused).toBeUndefined();
  });

  it("reports a refused write as it was without a limit it can read", () => {
    expect(memoryHealth(null, "MISCONF …")).toEqual({ warnings: [], writesRefused: "MISCONF …" });
    expect(memoryHealth({ usedBytes: 5 * MIB, maxBytes: 0 }, null)).toEqual({ warnings: [] });
  });
});
