import { describe, expect, it } from "vitest";
import { DEFAULT_JSON_LIMITS, encodeJson } from "./json.js";

describe("encodeJson", () => {
  const max = DEFAULT_JSON_LIMITS.maxBytes;

  it("counts the limit in UTF-8 bytes, not UTF-16 units", () => {
    // 400,000 characters of 3 bytes each: far fewer units than the limit, more bytes.
    expect(() => encodeJson("€".repeat(400_000), "Payload")).toThrow(/larger than/);
    // Just under the limit in bytes (3 bytes each, plus 2 quotes).
    expect(encodeJson("€".repeat(Math.floor((max - 2) / 3)), "Payload")).toHaveLength(Math.floor((max - 2) / 3) + 2);
  });

  it("accepts a text of exactly the limit and refuses one byte more", () => {
    expect(encodeJson("a".repeat(max - 2), "Payload")).toHaveLength(max);
    expect(() => encodeJson("a".repeat(max - 1), "Payload")).toThrow(/larger than/);
  });

  it("counts a surrogate pair as its 4 UTF-8 bytes", () => {
    const pairs = Math.floor((max - 2) / 4);
    expect(() => encodeJson("😀".repeat(pairs), "Payload")).not.toThrow();
    expect(() => encodeJson("😀".repeat(pairs + 1), "Payload")).toThrow(/larger than/);
  });
});
