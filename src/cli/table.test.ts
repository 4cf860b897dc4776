import { describe, expect, it } from "vitest";
import { renderPairs, renderTable } from "./table.js";

describe("renderTable", () => {
  it("aligns columns to the widest cell and trims trailing space", () => {
    expect(renderTable(["ID", "STATUS"], [["job_1", "QUEUED"], ["j", ""]])).toBe("ID     STATUS\njob_1  QUEUED\nj");
  });

  it("clips long cells and flattens newlines", () => {
    const [, row] = renderTable(["MESSAGE"], [["a\nb".padEnd(100, "x")]]).split("\n");
    expect(row).toHaveLength(60);
    expect(row).not.toContain("\n");
  });
});

describe("renderPairs", () => {
  it("aligns values after their labels", () => {
    expect(renderPairs([["id", "1"], ["status", "QUEUED"]])).toBe("id:     1\nstatus: QUEUED");
  });
});
