// How `caudex enqueue --from` splits a file into batches.
import { describe, expect, it } from "vitest";
import { batchRanges } from "./enqueue.js";

describe("batchRanges", () => {
  it("cuts at the count limit", () => {
    expect(batchRanges(Array.from({ length: 7 }, () => 1), 3, 100)).toEqual([[0, 3], [3, 6], [6, 7]]);
  });

  it("cuts before the item that would pass the byte limit, and gives an oversized item its own batch", () => {
    expect(batchRanges([40, 40, 30, 100, 10, 10], 10, 100)).toEqual([[0, 2], [2, 3], [3, 4], [4, 6]]);
  });

  it("gives nothing for no items", () => {
    expect(batchRanges([], 5, 10)).toEqual([]);
  });
});
