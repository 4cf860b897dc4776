// The error vocabulary: a failed job's codes come from the catalogue, and subclasses keep theirs.
import { describe, expect, expectTypeOf, it } from "vitest";
import { ErrorCodes, JOB_ERROR_CODES, LeaseLostError, hasCode, type ErrorCode } from "./errors.js";
import type { JobError } from "./job.js";

describe("error catalogue", () => {
  it("names only catalogue codes as a failed job's codes, each once", () => {
    for (const code of JOB_ERROR_CODES) expect(Object.keys(ErrorCodes), code).toContain(code);
    expect(new Set(JOB_ERROR_CODES).size).toBe(JOB_ERROR_CODES.length);
    expectTypeOf<JobError["code"]>().toExtend<ErrorCode>();
  });

  it("gives a lost lease its own class, with the LEASE_LOST code and the job id", () => {
    const error = new LeaseLostError("job_1");
    expect(hasCode(error, "LEASE_LOST")).toBe(true);
    expect(error).toMatchObject({ name: "LeaseLostError", details: { jobId: "job_1" } });
  });
});
