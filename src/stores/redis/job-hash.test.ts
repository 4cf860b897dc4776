// The packed-entry defaults of the Redis store follow the job rules, in TypeScript and in Lua.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../../core/job-rules.js";
import { PACKED_DEFAULTS } from "./job-hash.js";

describe("packed job defaults", () => {
  it("are the job rules' defaults", () => {
    const b = JOB_DEFAULTS.backoff;
    expect(JSON.parse(PACKED_DEFAULTS.opts)).toEqual([JOB_DEFAULTS.maxAttempts, JOB_DEFAULTS.timeoutMs, b.baseMs, b.maxMs, b.factor, b.jitter, JOB_DEFAULTS.retryOnTimeout ? 1 : 0]);
    expect(Number(PACKED_DEFAULTS.rttl)).toBe(JOB_DEFAULTS.resultTtlSeconds);
    expect(Number(PACKED_DEFAULTS.fttl)).toBe(JOB_DEFAULTS.failureTtlSeconds);
  });

  it("match the copy in includes/queued.lua", () => {
    const lua = readFileSync(new URL("./lua/includes/queued.lua", import.meta.url), "utf8");
    const line = /^local PACKED_OPTS, PACKED_RTTL, PACKED_FTTL = '([^']*)', '([^']*)', '([^']*)'$/m.exec(lua);
    expect(line, "queued.lua declares PACKED_OPTS, PACKED_RTTL, PACKED_FTTL on one line").not.toBeNull();
    expect(line?.slice(1)).toEqual([PACKED_DEFAULTS.opts, PACKED_DEFAULTS.rttl, PACKED_DEFAULTS.fttl]);
  });
});
