import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { assembleScript, mentions, splitBlocks, withoutComments } from "./lua-source.js";
import { scripts } from "./scripts.js";

const INCLUDE = [
  "-- the prefix",
  "local P = ARGV[1]",
  "local NOW",
  "do",
  "  NOW = 1",
  "end",
  "local a, b = {}, {}",
  "-- uses P",
  "local function key(id) return P .. id end",
  "local function unused() return NOW end",
  "local function outer(id) return key(id) end",
].join("\n");

describe("assembleScript", () => {
  test("splits an include into top-level definitions, comments and bodies attached", () => {
    const blocks = splitBlocks(INCLUDE);
    expect(blocks.map((b) => b.names)).toEqual([["P"], ["NOW"], ["a", "b"], ["key"], ["unused"], ["outer"]]);
    expect(blocks[0]?.text).toBe("-- the prefix\nlocal P = ARGV[1]");
    expect(blocks[1]?.text).toContain("NOW = 1\nend");
  });

  test("inlines what the body reaches, directly or through other definitions, in source order", () => {
    const source = assembleScript("-- @include inc\n-- calls unused() in a comment only\nreturn outer('x')", () => INCLUDE);
    expect(source).toContain("local function outer");
    expect(source).toContain("local function key");
    expect(source).toContain("local P = ARGV[1]");
    expect(source).not.toContain("local function unused");
    expect(source).not.toContain("local NOW");
    expect(source).not.toContain("local a, b");
    expect(source.indexOf("local P")).toBeLessThan(source.indexOf("local function key"));
    expect(source.indexOf("local function key")).toBeLessThan(source.indexOf("local function outer"));
  });

  test("a concatenation without spaces and a `--` inside a string still count as uses", () => {
    expect(assembleScript("-- @include inc\nreturn 'a' ..key('x')", () => INCLUDE)).toContain("local function key");
    expect(assembleScript("-- @include inc\nreturn '--' .. key('x')", () => INCLUDE)).toContain("local function key");
    expect(mentions("a ..NOW", "NOW")).toBe(true);
    expect(mentions("a.NOW", "NOW")).toBe(false);
  });

  test("an include's own includes come first, and each include is inlined once", () => {
    const files: Record<string, string> = {
      base: "local P = ARGV[1]",
      mid: "-- @include base\nlocal function key(id) return P .. id end",
      top: "-- @include mid\n-- @include base\nlocal function outer(id) return key(id) end",
    };
    const source = assembleScript("-- @include top\n-- @include base\nreturn outer('x')", (name) => files[name] ?? "");
    expect(source.match(/local P = ARGV\[1\]/g)).toHaveLength(1);
    expect(source.indexOf("local P")).toBeLessThan(source.indexOf("local function key"));
    expect(source.indexOf("local function key")).toBeLessThan(source.indexOf("local function outer"));
    expect(source).not.toContain("@include");
  });

  test("a field or method of the same name is not a use", () => {
    const source = assembleScript("-- @include inc\nreturn job.key .. job:outer()", () => INCLUDE);
    expect(source).not.toContain("local function key");
    expect(source).not.toContain("local function outer");
  });

  test("every store script defines each include name it uses", () => {
    const dir = new URL("./lua/includes/", import.meta.url);
    const names = readdirSync(dir).flatMap((file) => splitBlocks(readFileSync(new URL(file, dir), "utf8")).flatMap((b) => b.names));
    expect(names).toEqual(expect.arrayContaining(["P", "NOW", "NOW_S", "job_key", "emit", "complete_range", "scan_index"]));
    for (const script of Object.values(scripts)) {
      // (Names inside string literals, such as a key's suffix, are not uses.)
      const code = withoutComments(script.source).replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
      for (const name of names) {
        // A name used but not defined would read a global, which Redis refuses only when that line runs.
        if (!mentions(code, name)) continue;
        expect(new RegExp(`^local (function )?([\\w, ]*, )?${name}\\b`, "m").test(code), `${script.name} defines ${name}`).toBe(true);
      }
    }
  });
});
