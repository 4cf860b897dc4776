// Keeps the error catalogue, the HTTP status mapping and docs/errors.md in step, both ways.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCodes, JOB_ERROR_CODES } from "../core/errors.js";
import { HTTP_STATUS_BY_CODE } from "./error-handler.js";

const DOC = new URL("../../docs/errors.md", import.meta.url);

function documentedRows(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const match of readFileSync(DOC, "utf8").matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) {
    rows.set(match[1] as string, Number(match[2]));
  }
  return rows;
}

describe("error catalogue", () => {
  it("maps every catalogue code to a status, and nothing else", () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual(Object.keys(ErrorCodes).sort());
  });

  it("documents every code with the status the server answers, and no unknown code", () => {
    const documented = documentedRows();
    expect([...documented.keys()].sort()).toEqual(Object.keys(ErrorCodes).sort());
    for (const [code, status] of documented) expect(status, code).toBe(HTTP_STATUS_BY_CODE[code as keyof typeof ErrorCodes]);
  });

  it("names the codes a failed job carries, and no other", () => {
    const line = /^A failed job's `error.code` is one of (.+?)\(/ms.exec(readFileSync(DOC, "utf8"))?.[1] ?? "";
    const named = [...line.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    expect(named.sort()).toEqual([...JOB_ERROR_CODES].sort());
  });

  it("answers bad-input codes with a 4xx", () => {
    for (const code of ["BAD_REQUEST", "INVALID_PAYLOAD", "INVALID_OPTIONS", "INVALID_CURSOR", "INVALID_SCHEDULE", "UNKNOWN_TASK", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as const) {
      expect(HTTP_STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
      expect(HTTP_STATUS_BY_CODE[code]).toBeLessThan(500);
    }
  });
});
