// `caudex jobs`: lists jobs newest first, filtered by status, queue, task and schedule.
import { isJobStatus, type JobStatus } from "../../core/job-states.js";
import { JOB_STATUSES } from "../../core/job-states.js";
import { jobPageView } from "../../server/views.js";
import { ExitCode, UsageError, intOption, stringOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../compose.js";
import { renderJobs } from "../job-view.js";

/** Parses a --status value (case-insensitive); throws UsageError listing the valid names. */
export function statusOption(ctx: CommandContext, allowed: readonly JobStatus[] = JOB_STATUSES): JobStatus | undefined {
  const text = stringOption(ctx, "status");
  if (text === undefined) return undefined;
  const status = text.trim().toUpperCase();
  if (!isJobStatus(status) || !allowed.includes(status)) throw new UsageError(`--status must be one of ${allowed.join(", ")} (got "${text}")`, ctx.command);
  return status;
}

/** The `jobs` command. */
export const jobsCommand: Command = {
  name: "jobs",
  summary: "List jobs, newest first",
  usage: "jobs [--status STATUS] [--queue QUEUE] [--task TASK] [--schedule ID] [--limit N]",
  options: {
    status: { type: "string", help: `STATUS  only jobs in this status (${JOB_STATUSES.join(", ")})` },
    queue: { type: "string", help: "QUEUE  only jobs of this queue" },
    task: { type: "string", help: "TASK  only jobs of this task" },
    schedule: { type: "string", help: "ID  only jobs made by this schedule" },
    limit: { type: "string", help: "N  at most N jobs (default 50, at most 500)" },
  },
  positionals: [],
  settings: [],
  async run(ctx) {
    const status = statusOption(ctx);
    const queue = stringOption(ctx, "queue");
    const task = stringOption(ctx, "task");
    const scheduleId = stringOption(ctx, "schedule");
    const limit = intOption(ctx, "limit") ?? 50;
    const page = await withClient(ctx.config, (client) =>
      client.listJobs(
        {
          ...(status === undefined ? {} : { status }),
          ...(queue === undefined ? {} : { queue }),
          ...(task === undefined ? {} : { task }),
          ...(scheduleId === undefined ? {} : { scheduleId }),
        },
        { limit },
      ),
    );
    ctx.out.result(() => renderJobs(page.jobs), jobPageView(page));
    return ExitCode.ok;
  },
};
