// `caudex schedules upsert ID`: creates or changes a schedule from flags. The core checks the
// definition before anything is stored; a definition it refuses exits 2 with the core's code.
import type { Json } from "../../core/job.js";
import { CaudexError } from "../../core/errors.js";
import { SCHEDULE_BOUNDS } from "../../core/job-rules.js";
import type { CatchUp, Overlap, ScheduleDefinition, ScheduleJobOptions } from "../../core/schedule.js";
import { readScheduleView } from "../../server/schedule-views.js";
import { CliError, ExitCode, UsageError, intOption, stringOption, type Command, type CommandContext } from "../command.js";
import { DEFINITION_CODES, withClient } from "../compose.js";
import { parseDurationMs } from "../duration.js";
import { fireTimeText } from "../schedule-view.js";
import { loadTaskModule } from "../task-module.js";

const NAME = "schedules upsert";

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, NAME);
  }
}

/** "latest", "none", or a number of fires to backfill. */
function catchUpOption(text: string | undefined): CatchUp | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (value === "latest" || value === "none") return value;
  if (/^\d+$/.test(value)) return { backfill: Number(value) };
  throw new UsageError(`--catch-up must be latest, none or a number of fires to backfill (got "${text}")`, NAME);
}

/** The definition the flags declare; the core judges the timing and the policies. */
export function definitionFromFlags(ctx: CommandContext): ScheduleDefinition {
  const id = ctx.positionals[0] as string;
  const task = stringOption(ctx, "task");
  if (task === undefined) throw new UsageError("--task is required: the task each fire enqueues", NAME);
  const definition: ScheduleDefinition = { id, task };
  const payload = stringOption(ctx, "payload");
  if (payload !== undefined) definition.payload = parseJson(payload, "--payload");
  const cron = stringOption(ctx, "cron");
  const every = stringOption(ctx, "every");
  const tz = stringOption(ctx, "tz");
  if (cron !== undefined) definition.cron = cron;
  // The command line's one duration syntax; the core gets seconds and checks the rest.
  if (every !== undefined) definition.every = parseDurationMs(every, "--every", NAME, SCHEDULE_BOUNDS.maxEveryMs, SCHEDULE_BOUNDS.minEveryMs) / 1000;
  if (tz !== undefined) definition.tz = tz;
  const catchUp = catchUpOption(stringOption(ctx, "catch-up"));
  if (catchUp !== undefined) definition.catchUp = catchUp;
  const overlap = stringOption(ctx, "overlap");
  if (overlap !== undefined) definition.overlap = overlap as Overlap;
  const job: ScheduleJobOptions = {};
  const queue = stringOption(ctx, "queue");
  const timeout = stringOption(ctx, "timeout");
  const attempts = intOption(ctx, "max-attempts");
  if (queue !== undefined) job.queue = queue;
  if (timeout !== undefined) job.timeoutMs = parseDurationMs(timeout, "--timeout", NAME);
  if (attempts !== undefined) job.maxAttempts = attempts;
  if (Object.keys(job).length > 0) definition.job = job;
  return definition;
}

/** The `schedules upsert` subcommand. */
export const scheduleUpsertCommand: Command = {
  name: NAME,
  summary: "Create or change a schedule (a new cron, every or tz restarts it from now)",
  usage: "schedules upsert ID --task TASK (--cron EXPR [--tz ZONE] | --every DURATION) [--payload JSON] [--queue QUEUE] [--catch-up latest|none|N] [--overlap allow|skip|one_waiting]",
  details: [
    "Examples:",
    `  caudex schedules upsert nightly-report --task generate_report --cron "0 2 * * *" --tz Europe/Paris`,
    `  caudex schedules upsert heartbeat --task ping --every 30s --overlap skip`,
    "Upserting the same definition again changes nothing. A definition the core refuses",
    "(INVALID_SCHEDULE, UNKNOWN_TASK, INVALID_PAYLOAD) exits 2 and stores nothing.",
  ].join("\n"),
  options: {
    task: { type: "string", help: "TASK  the task each fire enqueues (required)" },
    cron: { type: "string", help: 'EXPR  cron expression, e.g. "0 9 * * MON-FRI" (5 fields, or 6 with seconds)' },
    tz: { type: "string", help: "ZONE  IANA time zone of --cron (default UTC)" },
    every: { type: "string", help: "DURATION  fixed interval instead of a cron: 30s, 5m, 1h, 1d" },
    payload: { type: "string", help: "JSON  the jobs' payload (default {})" },
    queue: { type: "string", help: "QUEUE  queue of the jobs (default: the task's, else default)" },
    timeout: { type: "string", help: "DURATION  abort each job after this long" },
    "max-attempts": { type: "string", help: "N  attempts before a job fails for good" },
    "catch-up": { type: "string", help: "POLICY  fires missed while nothing ran: latest (default), none, or N to backfill" },
    overlap: { type: "string", help: "POLICY  while the previous job runs: allow (default), skip, one_waiting" },
  },
  positionals: ["ID"],
  // --tasks is optional: given, the task's queue and options apply and the payload is checked.
  settings: ["tasksModule", "resultTtlSeconds", "failureTtlSeconds"],
  async run(ctx) {
    const definition = definitionFromFlags(ctx);
    const tasks = ctx.config.tasksModule === null ? null : (await loadTaskModule(ctx.config.tasksModule, process.cwd())).tasks;
    const { schedule, outcome, view } = await withClient(
      ctx.config,
      async (client) => {
        const result = await client.schedules.upsert(definition).catch((error: unknown) => {
          // The command line is at fault: fixing it is the way out (exit 2, decision 0003).
          if (error instanceof CaudexError && DEFINITION_CODES.has(error.code)) throw new CliError(error.message, { cause: error, exitCode: ExitCode.usage });
          throw error;
        });
        return { ...result, view: await readScheduleView(client, result.schedule) };
      },
      tasks,
      { create: true },
    );
    const next = schedule.nextFireAt === null ? "paused" : `next fire ${fireTimeText(schedule, schedule.nextFireAt)}`;
    ctx.out.result(() => `Schedule ${schedule.id} ${outcome} (${next}).`, { ...view, outcome });
    return ExitCode.ok;
  },
};
