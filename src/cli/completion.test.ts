import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Command } from "./command.js";
import { COMMANDS } from "./command-list.js";
import { SHELLS, completionScript } from "./completion.js";

/** What bash's completion offers for `words` (the last one being typed), with the script loaded. */
function bashCompletes(...words: string[]): string[] {
  const script = completionScript("bash", COMMANDS);
  const harness = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()`,
    "_caudex",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const result = spawnSync("bash", ["--norc", "--noprofile"], { input: harness, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter((line) => line !== "");
}

describe("completionScript", () => {
  it("names every command, subcommand verb and long flag, in every shell", () => {
    for (const shell of SHELLS) {
      const script = completionScript(shell, COMMANDS);
      for (const command of COMMANDS.flatMap((c): Command[] => [c, ...(c.subcommands ?? [])])) {
        for (const word of command.name.split(" ")) expect(script, `${shell}: ${command.name}`).toContain(word);
        for (const flag of Object.keys(command.options)) expect(script, `${shell}: ${command.name} --${flag}`).toContain(flag);
      }
    }
  });

  it("completes commands, subcommands and the flags of the command being typed in bash", () => {
    expect(bashCompletes("caudex", "wor")).toEqual(["worker", "workers"]);
    expect(bashCompletes("caudex", "worker", "--conc")).toEqual(["--concurrency"]);
    expect(bashCompletes("caudex", "worker", "high", "-q", "x", "--na")).toEqual(["--name", "--namespace"]);
    expect(bashCompletes("caudex", "schedules", "up")).toEqual(["upsert"]);
    expect(bashCompletes("caudex", "schedules", "upsert", "--ev")).toEqual(["--every"]);
    expect(bashCompletes("caudex", "stats", "--w")).toEqual(["--watch"]);
    expect(bashCompletes("caudex", "completion", "")).toEqual(["bash", "zsh", "fish"]);
  });

  it("offers nothing for a flag's value other than a file", () => {
    expect(bashCompletes("caudex", "enqueue", "t", "--queue", "")).toEqual([]);
  });
});
