// `caudex schedules`: lists schedules; its subcommands show one, list its next fire times,
// pause, resume, trigger or remove it, and upsert one (schedule-upsert.ts). --json prints what
// the HTTP API answers.
import type { Client } from "../../core/client.js";
import type { Schedule } from "../../core/schedule.js";
import { SCHEDULE_BOUNDS } from "../../core/job-rules.js";
import { MAX_NEXT_FIRES } from "../../server/schedule-schemas.js";
import { scheduleView } from "../../server/schedule-views.js";
import { iso, jobView } from "../../server/views.js";
import { ExitCode, UsageError, intOption, stringOption, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { fireTimeText, renderSchedule, renderSchedules, type ScheduleWithLastJob } from "../schedule-view.js";
import { scheduleUpsertCommand } from "./schedule-upsert.js";

/** Reads the last job of each schedule (side by side), as the views show its status. */
async function withLastJobs(client: Client, schedules: readonly Schedule[]): Promise<ScheduleWithLastJob[]> {
  return Promise.all(schedules.map(async (schedule) => ({ schedule, lastJob: schedule.lastJobId === null ? null : await client.getJob(schedule.lastJobId) })));
}

const viewOf = ({ schedule, lastJob }: ScheduleWithLastJob): Record<string, unknown> => scheduleView(schedule, lastJob);

/** A subcommand taking one schedule id. */
function onOne(verb: string, summary: string, run: Command["run"], options: Command["options"] = {}, usage = `schedules ${verb} ID`): Command {
  return { name: `schedules ${verb}`, summary, usage, options, positionals: ["ID"], settings: [], run };
}

const showCommand = onOne("show", "Show one schedule: timing, policies, next and last fire, last job", async (ctx) => {
  const id = ctx.positionals[0] as string;
  const [row] = await withClient(ctx.config, async (client) => withLastJobs(client, [await client.schedules.require(id)]));
  if (row === undefined) return ExitCode.failure;
  ctx.out.result(() => renderSchedule(row), viewOf(row));
  return ExitCode.ok;
});

const nextCommand = onOne(
  "next",
  "List a schedule's next fire times",
  async (ctx) => {
    const id = ctx.positionals[0] as string;
    const count = intOption(ctx, "count") ?? 10;
    if (count > MAX_NEXT_FIRES) throw new UsageError(`--count must be at most ${MAX_NEXT_FIRES} (got ${count})`, "schedules next");
    const { schedule, times } = await withClient(ctx.config, async (client) => ({ schedule: await client.schedules.require(id), times: await client.schedules.next(id, count) }));
    ctx.out.result(() => times.map((at) => fireTimeText(schedule, at)).join("\n"), { fire_times: times.map(iso) });
    return ExitCode.ok;
  },
  { count: { type: "string", help: `N  how many (default 10, at most ${MAX_NEXT_FIRES})` } },
  "schedules next ID [--count N]",
);

function toggle(verb: "pause" | "resume", summary: string): Command {
  return onOne(verb, summary, async (ctx) => {
    const id = ctx.positionals[0] as string;
    const [row] = await withClient(ctx.config, async (client) =>
      withLastJobs(client, [verb === "pause" ? await client.schedules.pause(id) : await client.schedules.resume(id)]),
    );
    if (row === undefined) return ExitCode.failure;
    const next = row.schedule.nextFireAt === null ? "" : `; next fire ${fireTimeText(row.schedule, row.schedule.nextFireAt)}`;
    ctx.out.result(() => `Schedule ${id} is ${row.schedule.paused ? "paused" : "running"}${next}.`, viewOf(row));
    return ExitCode.ok;
  });
}

const triggerCommand = onOne("trigger", "Enqueue a schedule's job now (its next fire does not move)", async (ctx) => {
  const id = ctx.positionals[0] as string;
  const job = await withClient(ctx.config, (client) => client.schedules.trigger(id));
  ctx.out.result(() => `Triggered ${id}: enqueued ${job.id} (${job.task} on queue ${job.queue}, ${job.status}).`, jobView(job));
  return ExitCode.ok;
});

const removeCommand = onOne("remove", "Remove a schedule (its jobs stay; added again, it starts afresh)", async (ctx) => {
  const id = ctx.positionals[0] as string;
  await withClient(ctx.config, (client) => client.schedules.remove(id));
  ctx.out.result(() => `Removed schedule ${id}.`, { schedule_id: id, removed: true });
  return ExitCode.ok;
});

/** The `schedules` command and its subcommands. */
export const schedulesCommand: Command = {
  name: "schedules",
  summary: "List schedules (subcommands: show, next, upsert, pause, resume, trigger, remove)",
  usage: "schedules [--limit N] [--cursor ID]",
  details: "Without a subcommand, lists schedules in id order: timing, next and last fire, the last job's status.",
  options: {
    limit: { type: "string", help: `N  at most N schedules (default 100, at most ${SCHEDULE_BOUNDS.maxListLimit})` },
    cursor: { type: "string", help: "ID  start after this schedule id (the next_cursor of --json)" },
  },
  positionals: [],
  settings: [],
  subcommands: [showCommand, nextCommand, scheduleUpsertCommand, toggle("pause", "Pause a schedule: it fires no more until resumed"), toggle("resume", "Resume a schedule from now on (missed fires are not made up)"), triggerCommand, removeCommand],
  async run(ctx) {
    const limit = intOption(ctx, "limit") ?? 100;
    const cursor = stringOption(ctx, "cursor") ?? null;
    const { rows, nextCursor } = await withClient(ctx.config, async (client) => {
      const page = await client.schedules.list({ limit, cursor });
      return { rows: await withLastJobs(client, page.schedules), nextCursor: page.nextCursor };
    });
    const more = nextCursor === null ? "" : `\n(more: --cursor ${nextCursor})`;
    ctx.out.result(() => `${renderSchedules(rows)}${more}`, { schedules: rows.map(viewOf), next_cursor: nextCursor });
    return ExitCode.ok;
  },
};
