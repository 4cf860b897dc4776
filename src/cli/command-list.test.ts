import { describe, expect, it } from "vitest";
import type { Command } from "./command.js";
import { COMMANDS } from "./command-list.js";
import { GLOBAL_OPTIONS } from "./help.js";
import { COMMON_SETTINGS, SETTINGS } from "./settings.js";

const ALL: Command[] = COMMANDS.flatMap((c) => [c, ...(c.subcommands ?? [])]);

/** Every flag of a command: its options, its settings' flags and the global options, long and short. */
function flagsOf(command: Command): { long: string[]; short: string[] } {
  const settings = [...new Set([...command.settings, ...COMMON_SETTINGS])].map((key) => SETTINGS[key]);
  const options = Object.entries({ ...command.options, ...GLOBAL_OPTIONS });
  return {
    long: [...options.map(([name]) => name), ...settings.map((s) => s.flag)],
    short: [...options.flatMap(([, spec]) => (spec.short === undefined ? [] : [spec.short])), ...settings.flatMap((s) => (s.short === undefined ? [] : [s.short]))],
  };
}

describe("COMMANDS", () => {
  it("gives every flag of a command one meaning, long and short", () => {
    for (const command of ALL) {
      const { long, short } = flagsOf(command);
      expect(new Set(long).size, `caudex ${command.name}: ${long.join(" ")}`).toBe(long.length);
      expect(new Set(short).size, `caudex ${command.name}: -${short.join(" -")}`).toBe(short.length);
      for (const letter of short) expect(letter, command.name).toMatch(/^[A-Za-z]$/);
    }
  });

  it("keeps RQ's short flags for the worker", () => {
    const worker = COMMANDS.find((c) => c.name === "worker") as Command;
    const { short } = flagsOf(worker);
    for (const letter of ["n", "q", "c", "b", "u"]) expect(short).toContain(letter);
    expect(worker.listPositionals).toEqual({ name: "QUEUE", setting: "queues" });
  });

  it("names each command once", () => {
    const names = ALL.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
