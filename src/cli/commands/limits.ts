// `caudex limits`: lists the (name, key) pairs with running or waiting jobs or an override; its
// subcommands read one, set an operator's override (or a name's default) and clear it. --json
// prints what the HTTP API answers.
import { CaudexError } from "../../core/errors.js";
import { JOB_BOUNDS } from "../../core/job-rules.js";
import { limitPageView, limitSettingView, limitUsageView } from "../../server/limit-views.js";
import { CliError, ExitCode, UsageError, intOption, stringOption, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { parseRate, renderLimit, renderLimits, settingText } from "../limit-view.js";

/** A name, key, setting or cursor the core refuses is the caller's to change: exit 2, the core's code kept. */
async function asUsage<T>(run: Promise<T>): Promise<T> {
  return run.catch((error: unknown) => {
    if (error instanceof CaudexError && (error.code === "INVALID_OPTIONS" || error.code === "INVALID_CURSOR")) throw new CliError(error.message, { cause: error, exitCode: ExitCode.usage });
    throw error;
  });
}

const getCommand: Command = {
  name: "limits get",
  summary: "Show one (limit, key): its settings, running and waiting jobs, rate tokens",
  usage: "limits get NAME KEY",
  options: {},
  positionals: ["NAME", "KEY"],
  settings: [],
  async run(ctx) {
    const [name, key] = ctx.positionals as [string, string];
    const usage = await asUsage(withClient(ctx.config, (client) => client.limits.get(name, key)));
    ctx.out.result(() => renderLimit(usage), limitUsageView(usage));
    return ExitCode.ok;
  },
};

const setCommand: Command = {
  name: "limits set",
  summary: "Set one key's override, or without KEY the limit's default, as an operator",
  usage: "limits set NAME [KEY] [--concurrency N] [--rate N/PERIOD] [--burst N]",
  details: [
    "The setting is replaced whole: give every part to keep. It wins over what workers declare until `caudex limits clear`.",
    "Examples:",
    "  caudex limits set per-project 42 --concurrency 5",
    "  caudex limits set github-api --rate 10/1s --burst 5",
  ].join("\n"),
  options: {
    concurrency: { type: "string", help: "N  at most N jobs with the key hold a lease at once (0 stops the key)" },
    rate: { type: "string", help: "N/PERIOD  at most N starts per period, e.g. 10/1s, 100/1m" },
    burst: { type: "string", help: "N  starts at once after a quiet spell (default 1; needs --rate)" },
  },
  positionals: ["NAME"],
  optionalPositionals: ["KEY"],
  settings: [],
  async run(ctx) {
    const [name, key = null] = ctx.positionals as [string, string | undefined];
    const concurrency = intOption(ctx, "concurrency", 0);
    const burst = intOption(ctx, "burst", 0);
    const rateText = stringOption(ctx, "rate");
    if (burst !== undefined && rateText === undefined) throw new UsageError("--burst needs --rate", ctx.command);
    if (concurrency === undefined && rateText === undefined) throw new UsageError("limits set needs --concurrency, --rate, or both", ctx.command);
    const rate = rateText === undefined ? undefined : parseRate(rateText, burst, ctx.command);
    const change = { ...(concurrency === undefined ? {} : { concurrency }), ...(rate === undefined ? {} : { rate }) };
    // An operator may set limits before any job or worker exists: this one creates the SQLite file.
    const setting = await asUsage(withClient(ctx.config, (client) => client.limits.set(name, key, change), null, { create: true }));
    ctx.out.result(() => settingText(setting), limitSettingView(setting));
    return ExitCode.ok;
  },
};

const clearCommand: Command = {
  name: "limits clear",
  summary: "Clear one key's override (back to the default), or without KEY the limit's default",
  usage: "limits clear NAME [KEY]",
  details: "A cleared default is gone until a worker declares the limit again (at its start).",
  options: {},
  positionals: ["NAME"],
  optionalPositionals: ["KEY"],
  settings: [],
  async run(ctx) {
    const [name, key = null] = ctx.positionals as [string, string | undefined];
    await asUsage(withClient(ctx.config, (client) => client.limits.clear(name, key)));
    ctx.out.result(() => `Cleared ${key === null ? `the default of ${name}` : `${name}, key ${key}`}.`, { name, key, cleared: true });
    return ExitCode.ok;
  },
};

/** The `limits` command and its subcommands. */
export const limitsCommand: Command = {
  name: "limits",
  summary: "List per-key limits: running, waiting, rate (subcommands: get, set, clear)",
  usage: "limits [--limit N] [--cursor CURSOR]",
  details: "Without a subcommand, lists every (limit, key) with a running or waiting job or an override, in (name, key) order; AT LIMIT marks a key that cannot start a job now.",
  options: {
    limit: { type: "string", help: `N  at most N keys (default 100, at most ${JOB_BOUNDS.maxListLimit})` },
    cursor: { type: "string", help: "CURSOR  start after this one (the next_cursor of --json)" },
  },
  positionals: [],
  settings: [],
  subcommands: [getCommand, setCommand, clearCommand],
  async run(ctx) {
    const limit = intOption(ctx, "limit") ?? 100;
    if (limit > JOB_BOUNDS.maxListLimit) throw new UsageError(`--limit must be at most ${JOB_BOUNDS.maxListLimit} (got ${limit})`, ctx.command);
    const page = await asUsage(withClient(ctx.config, (client) => client.limits.list({ limit, cursor: stringOption(ctx, "cursor") ?? null })));
    const more = page.nextCursor === null ? "" : `\n(more: --cursor '${page.nextCursor}')`;
    ctx.out.result(() => `${renderLimits(page.limits)}${more}`, limitPageView(page));
    return ExitCode.ok;
  },
};
