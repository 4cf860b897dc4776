import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../core/config.js";
import { SETTINGS } from "./settings.js";

const docs = readFileSync(join(import.meta.dirname, "../../docs/configuration.md"), "utf8");

describe("SETTINGS", () => {
  it("gives every configuration key a flag and at least one variable", () => {
    expect(Object.keys(SETTINGS).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
    for (const source of Object.values(SETTINGS)) expect(source.env.length).toBeGreaterThan(0);
  });

  it("documents every variable and flag in docs/configuration.md", () => {
    for (const source of Object.values(SETTINGS)) {
      for (const name of source.env) expect(docs).toContain(`\`${name}\``);
      expect(docs).toContain(`\`--${source.flag}\``);
    }
  });
});
