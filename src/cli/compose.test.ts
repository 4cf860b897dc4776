// The messages of a store that cannot be opened: each hint points at what to fix.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../core/config.js";
import { StoreUnavailableError } from "../core/errors.js";
import { storeError } from "./compose.js";

const URL = "redis://:s3cret@127.0.0.1:6390/0";

describe("storeError", () => {
  it("tells to check the password in REDIS_URL when Redis answers WRONGPASS or NOAUTH", () => {
    for (const reply of ["WRONGPASS invalid username-password pair or user is disabled.", "NOAUTH Authentication required."]) {
      const cause = Object.assign(new Error(reply), { name: "ReplyError" });
      const error = storeError(DEFAULT_CONFIG, URL, new StoreUnavailableError(`Cannot connect to Redis: ${String(cause)}`, cause), false);
      expect(error.message).toBe(`Cannot connect to Redis at redis://:***@127.0.0.1:6390/0: ReplyError: ${reply}`);
      expect(error.hint).toContain("check the password");
      expect(error.hint).toContain("REDIS_URL");
      expect(error.hint).not.toContain("Is Redis running");
    }
  });

  it("asks whether Redis is running when it cannot be reached", () => {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:6390");
    const error = storeError(DEFAULT_CONFIG, URL, new StoreUnavailableError(`Cannot connect to Redis: ${String(cause)}`, cause), false);
    expect(error.hint).toContain("Is Redis running");
    expect(error.message).not.toContain("s3cret");
  });
});
