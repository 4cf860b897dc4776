#!/usr/bin/env node
// The `caudex` executable: reads argv and the environment (the only module that reads
// process.env), validates the configuration once, runs one command, and maps the outcome to
// an exit code (0 ok, 1 failure, 2 usage or configuration error).
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseConfig, type ConfigKey, type RawConfigValue } from "../core/config.js";
import { CaudexError, ConfigInvalidError } from "../core/errors.js";
import { CliError, ExitCode, UsageError, resolveSubcommand, type Command } from "./command.js";
import { COMMANDS } from "./command-list.js";
import { isExpected } from "./compose.js";
import { GLOBAL_OPTIONS, commandHelp, generalHelp } from "./help.js";
import { Output } from "./output.js";
import { COMMON_SETTINGS, SETTINGS } from "./settings.js";
import { commandSuggestion, didYouMean, unknownFlagMessage } from "./suggest.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Runs the CLI with `argv` (without node and script) and `env`; resolves with the exit code. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  const wantsJson = argv.includes("--json");
  const verbose = argv.includes("--verbose");
  try {
    return await dispatch(argv, env);
  } catch (error) {
    return report(error, { json: wantsJson, verbose });
  }
}

async function dispatch(argv: readonly string[], env: Env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${generalHelp(COMMANDS, version())}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const top = COMMANDS.find((c) => c.name === name);
  if (top === undefined) {
    const names = COMMANDS.map((c) => c.name);
    throw new UsageError(`Unknown command "${name}".${commandSuggestion(name, names) || ` Commands: ${names.join(", ")}`}`);
  }
  const { command, args } = resolveSubcommand(top, rest);
  const settingKeys = [...new Set([...command.settings, ...COMMON_SETTINGS])];
  const parsed = parseCommandArgs(command, settingKeys, args);
  if (parsed.values.help === true) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.ok;
  }
  const most = command.listPositionals === undefined ? command.positionals.length + (command.optionalPositionals?.length ?? 0) : Infinity;
  if (parsed.positionals.length < command.positionals.length || parsed.positionals.length > most) {
    const verbs = command.subcommands?.map((c) => c.name.slice(command.name.length + 1)) ?? [];
    if (verbs.length > 0 && command.positionals.length === 0) {
      const verb = parsed.positionals[0] ?? "";
      throw new UsageError(`Unknown subcommand "${verb}" of caudex ${command.name}.${didYouMean(verb, verbs) || ` Subcommands: ${verbs.join(", ")}`}`, command.name);
    }
    const names = [...command.positionals, ...(command.optionalPositionals ?? []).map((p) => `[${p}]`)];
    const expected = names.length === 0 ? "no arguments" : names.join(" ");
    throw new UsageError(`caudex ${command.name} takes ${expected} (got ${parsed.positionals.length === 0 ? "none" : parsed.positionals.join(" ")})`, command.name);
  }
  const { raw, sources } = readSettings(parsed.values, env, settingKeys);
  if (command.listPositionals !== undefined && parsed.positionals.length > command.positionals.length) {
    // `caudex worker high default`: the arguments are the list, as a flag would give it.
    const { name: listName, setting } = command.listPositionals;
    const flagName = `--${SETTINGS[setting].flag}`;
    if (sources[setting] === flagName) throw new UsageError(`give ${listName} arguments or ${flagName}, not both`, command.name);
    raw[setting] = parsed.positionals.slice(command.positionals.length);
    sources[setting] = `${listName} arguments`;
  }
  const config = parseConfig(raw, sources);
  const explicit = new Set(Object.keys(raw) as ConfigKey[]);
  const out = new Output(parsed.values.json === true, process.stdout, process.stderr);
  return command.run({ command: command.name, values: parsed.values, positionals: parsed.positionals, config, explicit, out, verbose: parsed.values.verbose === true });
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parseCommandArgs(command: Command, settingKeys: readonly ConfigKey[], args: readonly string[]): { values: Values; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...command.options })) {
    options[name] = { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }), ...(spec.multiple === true ? { multiple: true } : {}) };
  }
  for (const key of settingKeys) {
    const short = SETTINGS[key].short;
    options[SETTINGS[key].flag] = { type: "string", ...(short === undefined ? {} : { short }) };
  }
  const unknown = unknownFlagMessage(args, options);
  if (unknown !== null) throw new UsageError(unknown, command.name);
  try {
    // Options declared `multiple` give arrays of strings; the others a string or a boolean.
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command.name);
  }
}

/** Collects raw setting values: a flag first, then each variable in order, remembering the source. */
function readSettings(values: Values, env: Env, settingKeys: readonly ConfigKey[]) {
  const raw: Partial<Record<ConfigKey, RawConfigValue>> = {};
  const sources: Partial<Record<ConfigKey, string>> = {};
  for (const key of Object.keys(SETTINGS) as ConfigKey[]) {
    const source = SETTINGS[key];
    // Only the command's settings come from flags: a command option of the same name
    // (`limits set --concurrency`) is the command's, not the worker setting.
    const fromFlag = settingKeys.includes(key) ? values[source.flag] : undefined;
    if (typeof fromFlag === "string") {
      raw[key] = fromFlag;
      sources[key] = `--${source.flag}`;
      continue;
    }
    const name = source.env.find((variable) => env[variable] !== undefined && (source.sharedEnv?.[variable]?.test(env[variable]) ?? true));
    if (name !== undefined) {
      raw[key] = env[name] as string;
      sources[key] = name;
    }
  }
  return { raw, sources };
}

function report(error: unknown, options: { json: boolean; verbose: boolean }): number {
  const exitCode =
    error instanceof UsageError || error instanceof ConfigInvalidError
      ? ExitCode.usage
      : error instanceof CliError
        ? error.exitCode
        : ExitCode.failure;
  // A CLI message that wraps a store's or the client's error keeps that error's code.
  const coded = error instanceof CliError && error.cause instanceof CaudexError ? error.cause : error;
  const code = coded instanceof CaudexError ? coded.code : error instanceof UsageError ? "USAGE" : "ERROR";
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof CliError ? error.hint : error instanceof UsageError ? error.hint : null;
  if (options.json) {
    process.stderr.write(`${JSON.stringify({ error: { code, message, ...(hint === null ? {} : { hint }) } })}\n`);
  } else {
    const shown = coded instanceof CaudexError && !(coded instanceof ConfigInvalidError) ? `${message} (${code})` : message;
    process.stderr.write(`caudex: ${shown}\n${hint === null ? "" : `${hint}\n`}`);
  }
  if (options.verbose && error instanceof Error) process.stderr.write(`${stackOf(error)}\n`);
  else if (!isExpected(error) && !(error instanceof UsageError)) process.stderr.write("(run with --verbose for the stack trace)\n");
  return exitCode;
}

function stackOf(error: Error): string {
  const cause = error.cause instanceof Error ? `\nCaused by: ${stackOf(error.cause)}` : "";
  return `${error.stack ?? error.message}${cause}`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

const code = await main(process.argv.slice(2), process.env);
process.exit(code);
