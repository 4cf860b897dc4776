// `caudex failed`: lists FAILED jobs with their errors; retries one or all of them.
import type { Client } from "../../core/client.js";
import { jobPageView, jobView } from "../../server/views.js";
import { ExitCode, UsageError, flag, intOption, stringOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../compose.js";
import { countWithStatus, renderJobs } from "../job-view.js";

async function retryAll(ctx: CommandContext, client: Client, queue: string | undefined): Promise<number> {
  const total = countWithStatus(await client.stats(), "FAILED", queue);
  const bar = ctx.out.progress("Retrying failed jobs", total);
  const retried = await client.retryAllFailed(queue ?? null, (count) => bar.update(count, Math.max(total, count)));
  bar.done();
  ctx.out.result(() => `Retried ${retried} failed job(s)${queue === undefined ? "" : ` of queue "${queue}"`}.`, { retried });
  return ExitCode.ok;
}

/** The `failed` command. */
export const failedCommand: Command = {
  name: "failed",
  summary: "List failed jobs; retry one (--retry ID) or all (--retry-all)",
  usage: "failed [--queue QUEUE] [--limit N] [--retry ID | --retry-all]",
  options: {
    queue: { type: "string", help: "QUEUE  only failed jobs of this queue" },
    limit: { type: "string", help: "N  list at most N jobs (default 50)" },
    retry: { type: "string", help: "ID  retry this failed job" },
    "retry-all": { type: "boolean", help: "retry every failed job (of --queue, when given)" },
  },
  positionals: [],
  settings: [],
  async run(ctx) {
    const queue = stringOption(ctx, "queue");
    const retryId = stringOption(ctx, "retry");
    const all = flag(ctx, "retry-all");
    if (retryId !== undefined && all) throw new UsageError("give --retry ID or --retry-all, not both", "failed");
    const limit = intOption(ctx, "limit") ?? 50;
    return withClient(ctx.config, async (client) => {
      if (all) return retryAll(ctx, client, queue);
      if (retryId !== undefined) {
        const job = await client.retry(retryId);
        ctx.out.result(() => `Job ${job.id} is ${job.status} again.`, jobView(job));
        return ExitCode.ok;
      }
      const page = await client.listJobs({ status: "FAILED", ...(queue === undefined ? {} : { queue }) }, { limit });
      ctx.out.result(() => (page.jobs.length === 0 ? "No failed jobs." : renderJobs(page.jobs)), jobPageView(page));
      return ExitCode.ok;
    });
  },
};
