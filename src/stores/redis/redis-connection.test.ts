// Which failures count as "Redis is unavailable" (STORE_UNAVAILABLE) and which pass through.
import { describe, expect, it } from "vitest";
import { CaudexError } from "../../core/errors.js";
import { toStoreError } from "./redis-connection.js";
import { UnexpectedReplyError } from "./scripts.js";

// What ioredis rejects with when the server answers with an error.
const replyError = (message: string): Error => Object.assign(new Error(message), { name: "ReplyError" });
const code = (error: unknown): string | undefined => (error instanceof CaudexError ? error.code : undefined);

describe("toStoreError", () => {
  it("calls connection failures and a loading or failing-over server unavailable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" });
    expect(code(toStoreError(refused))).toBe("STORE_UNAVAILABLE");
    expect(code(toStoreError(new Error("Connection is closed.")))).toBe("STORE_UNAVAILABLE");
    // ioredis rejects the commands in flight with whatever broke its reply stream.
    expect(code(toStoreError(new RangeError("Invalid array length")))).toBe("STORE_UNAVAILABLE");
    expect(code(toStoreError(replyError("LOADING Redis is loading the dataset in memory")))).toBe("STORE_UNAVAILABLE");
    expect(code(toStoreError(replyError("READONLY You can't write against a read only replica.")))).toBe("STORE_UNAVAILABLE");
  });

  it("calls a server that refuses writes at maxmemory or after a failed save unavailable, saying why", () => {
    const oom = replyError("OOM command not allowed when used memory > 'maxmemory'.");
    const mapped = toStoreError(oom);
    expect(mapped).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("maxmemory (noeviction)") as string, cause: oom });
    const wrapped = replyError("ERR Error running script (call to f_0): @user_script:3: -OOM command not allowed when used memory > 'maxmemory'.");
    expect(code(toStoreError(wrapped))).toBe("STORE_UNAVAILABLE");
    const misconf = replyError("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.");
    expect(toStoreError(misconf)).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("cannot save to disk") as string, cause: misconf });
  });

  it("passes through reply errors of a reachable server and script replies of the wrong shape", () => {
    const wrongType = replyError("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(toStoreError(wrongType)).toBe(wrongType);
    const shape = new UnexpectedReplyError("Script claim returned an unexpected reply: 1");
    expect(toStoreError(shape)).toBe(shape);
  });
});
