// The listing cursor's shape check: the ids newJobId makes pass, what no job id could be is refused.
import { describe, expect, it } from "vitest";
import { newJobId } from "./ids.js";
import { listingCursorShape } from "./listing-cursor.js";

describe("listing cursor shape", () => {
  it("knows the ids newJobId makes, at any time", () => {
    for (const at of [0, Date.now(), 2 ** 48 - 1]) expect(listingCursorShape(newJobId(at))).toBe("generated");
  });

  it("leaves other job-id-like text for the store to look up", () => {
    expect(listingCursorShape("garbage")).toBe("other");
    expect(listingCursorShape("job_caller-chosen")).toBe("other");
  });

  it("refuses with INVALID_CURSOR what no job id could be", () => {
    for (const cursor of ["", "x".repeat(257), "job_\u0000", "line\nbreak", "del\u007f"]) {
      expect(() => listingCursorShape(cursor), JSON.stringify(cursor)).toThrow(expect.objectContaining({ code: "INVALID_CURSOR", name: "InvalidCursorError" }));
    }
  });
});
