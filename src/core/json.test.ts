import { describe, expect, it } from "vitest";
import { encodeJson } from "./json.js";
import { PAYLOAD_JSON_LIMITS } from "./job-rules.js";

describe("encodeJson", () => {
  const max = PAYLOAD_JSON_LIMITS.maxBytes;

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

  it("refuses nesting past the depth limit, however deep, without overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
    expect(() => encodeJson(deep, "Payload")).toThrow(/nesting deeper than 32 levels/);
    let ok: unknown = 1;
    for (let i = 0; i < 32; i++) ok = { a: ok };
    expect(encodeJson(ok, "Payload")).toContain('{"a":1}');
    expect(() => encodeJson({ a: ok }, "Payload")).toThrow(/nesting deeper/);
  });

  it("refuses values that are not plain JSON, wherever they sit", () => {
    expect(() => encodeJson({ a: [1, { b: Number.NaN }] }, "Payload")).toThrow(/finite/);
    expect(() => encodeJson([1n], "Payload")).toThrow(/bigint is not JSON/);
    expect(() => encodeJson({ when: new Date(0) }, "Payload")).toThrow(/only plain objects/);
    expect(() => encodeJson({ f: () => 1 }, "Payload")).toThrow(/function is not JSON/);
    expect(encodeJson(Object.assign(Object.create(null) as object, { a: [null, true, "x"] }), "Payload")).toBe('{"a":[null,true,"x"]}');
  });
});
