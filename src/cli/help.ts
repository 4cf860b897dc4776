// --help text: the command list, and one page per command with its options and settings.
import type { Command, OptionSpec } from "./command.js";
import { COMMON_SETTINGS, SETTINGS } from "./settings.js";

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print results as JSON (for scripts)" },
  verbose: { type: "boolean", help: "print stack traces and more detail on errors" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** The top-level help: every command with its summary. */
export function generalHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `caudex ${version} — durable background jobs`,
    "",
    "Usage: caudex <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options: --help, --version, --json, --verbose",
    "Run `caudex <command> --help` for a command's options. Settings: docs/configuration.md.",
    "Exit codes: 0 ok, 1 failure, 2 usage or configuration error.",
  ].join("\n");
}

/** The help page of one command. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).map(([name, spec]) => optionLine(name, spec));
  const settings = [...new Set([...command.settings, ...COMMON_SETTINGS])].map((key) => {
    const source = SETTINGS[key];
    return optionLine(source.flag, { type: "string", ...(source.short === undefined ? {} : { short: source.short }), help: `${source.help} [env: ${source.env.join(", ")}]` });
  });
  const global = Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => optionLine(name, spec));
  const subcommands = (command.subcommands ?? []).flatMap((c) => [`  caudex ${c.usage}`, `      ${c.summary}`]);
  return [
    `Usage: caudex ${command.usage}`,
    "",
    command.summary,
    ...(subcommands.length === 0 ? [] : ["", "Subcommands (each has its own --help):", ...subcommands]),
    ...(command.details === undefined ? [] : ["", command.details]),
    ...(options.length === 0 ? [] : ["", "Options:", ...options]),
    "",
    "Settings (flag, or environment variable):",
    ...settings,
    "",
    ...global,
  ].join("\n");
}

function optionLine(name: string, spec: OptionSpec): string {
  const short = spec.short === undefined ? "    " : `-${spec.short}, `;
  if (spec.type === "boolean") return `  ${short}--${name.padEnd(26)}${spec.help}`;
  const space = spec.help.indexOf("  ");
  const [value, text] = space < 0 ? ["VALUE", spec.help] : [spec.help.slice(0, space), spec.help.slice(space + 2)];
  return `  ${short}${`--${name} ${value}`.padEnd(28)}${text}`;
}
