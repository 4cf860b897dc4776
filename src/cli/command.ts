// What every `caudex` command declares (usage, options, positionals) and receives (parsed
// arguments, validated configuration, output); plus the two errors that set the exit code.
import type { CaudexConfig, ConfigKey } from "../core/config.js";
import type { Output } from "./output.js";

/** Exit codes scripts can rely on. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** One command-specific option, as `node:util` parseArgs takes it plus help text. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Shown in --help; for strings, the value placeholder comes first, e.g. "N  stop after N jobs". */
  help: string;
  /** A string option that may be given more than once (`--limit-key a=1 --limit-key b=2`); read it with stringsOption. */
  multiple?: true;
}

/** A `caudex` command. */
export interface Command {
  name: string;
  summary: string;
  /** Usage line after "caudex", e.g. "enqueue TASK --payload JSON [options]". */
  usage: string;
  /** Extra paragraphs of --help (examples, notes). */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments, by name; all are required. */
  positionals: readonly string[];
  /** Optional positional arguments after the required ones (`limits set NAME [KEY]`). */
  optionalPositionals?: readonly string[];
  /**
   * Any number of arguments after the others that give a list setting, as RQ takes queues
   * (`worker high default` → `queues`); they win over the setting's variables, and giving both
   * them and the setting's flag is a usage error.
   */
  listPositionals?: { name: string; setting: ConfigKey };
  /** Configuration settings the command uses; --help lists their flags and variables. */
  settings: readonly ConfigKey[];
  /**
   * Commands under this one, named "<parent> <verb>" (`caudex schedules next ID`): a first
   * argument equal to a verb runs that subcommand; otherwise this command runs.
   */
  subcommands?: readonly Command[];
  run(ctx: CommandContext): Promise<number>;
}

/** The subcommand `args` name (its verb first), with the arguments after the verb; else the command itself. */
export function resolveSubcommand(command: Command, args: readonly string[]): { command: Command; args: readonly string[] } {
  const verb = args[0];
  const sub = verb === undefined ? undefined : command.subcommands?.find((c) => c.name === `${command.name} ${verb}`);
  return sub === undefined ? { command, args } : { command: sub, args: args.slice(1) };
}

/** What a command runs with. */
export interface CommandContext {
  /** The command's name (for usage hints). */
  command: string;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  config: CaudexConfig;
  /** Which settings were given explicitly (flag or environment), as opposed to defaults. */
  explicit: ReadonlySet<ConfigKey>;
  out: Output;
  verbose: boolean;
}

/** Bad command-line usage: exit 2 with a pointer to --help. */
export class UsageError extends Error {
  readonly hint: string;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.hint = `Run \`caudex ${command === undefined ? "" : `${command} `}--help\` for usage.`;
  }
}

/** A failure with a message meant for people (what happened, and how to fix it): exit 1. */
export class CliError extends Error {
  readonly hint: string | null;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.hint = options.hint ?? null;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** Reads a string option, or undefined. */
export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a repeatable string option: every value given, in order (empty without the option). */
export function stringsOption(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

/** Reads a boolean option. */
export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/** Parses a positive integer option; throws UsageError naming the option otherwise. */
export function intOption(ctx: CommandContext, name: string, min = 1): number | undefined {
  const text = stringOption(ctx, name);
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer of at least ${min} (got "${text}")`, ctx.command);
  return n;
}
