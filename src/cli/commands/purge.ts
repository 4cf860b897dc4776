// `caudex purge`: deletes finished jobs of one status (optionally one queue, older than a
// duration), in bounded batches so that a large purge never holds the store for long.
import type { PurgeRequest } from "../../core/store.js";
import { ExitCode, UsageError, stringOption, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { parseDurationMs } from "../duration.js";
import { countWithStatus } from "../job-view.js";
import { statusOption } from "./jobs.js";

/** The `purge` command. */
export const purgeCommand: Command = {
  name: "purge",
  summary: "Delete finished jobs of one status",
  usage: "purge --status COMPLETED|FAILED|CANCELED [--queue QUEUE] [--older-than 7d]",
  details: "Only jobs that finished longer ago than --older-than (default: any time) are deleted.",
  options: {
    status: { type: "string", help: "STATUS  COMPLETED, FAILED or CANCELED (required)" },
    queue: { type: "string", help: "QUEUE  only jobs of this queue" },
    "older-than": { type: "string", help: "DURATION  only jobs finished longer ago, e.g. 7d, 12h, 30m" },
  },
  positionals: [],
  settings: [],
  async run(ctx) {
    const status = statusOption(ctx, ["COMPLETED", "FAILED", "CANCELED"]) as PurgeRequest["status"] | undefined;
    if (status === undefined) throw new UsageError("purge needs --status COMPLETED, FAILED or CANCELED", "purge");
    const queue = stringOption(ctx, "queue");
    const olderThan = stringOption(ctx, "older-than");
    const olderThanMs = olderThan === undefined ? 0 : parseDurationMs(olderThan, "--older-than", "purge");
    const purged = await withClient(ctx.config, async (client) => {
      const total = countWithStatus(await client.stats(), status, queue);
      // The total counts every job of the status; with --older-than fewer may go, so the bar
      // shows a count only.
      const bar = ctx.out.progress(`Purging ${status} jobs`, olderThanMs === 0 ? total : null);
      const count = await client.purgeFinished({ status, olderThanMs, ...(queue === undefined ? {} : { queue }) }, (n) => bar.update(n));
      bar.done();
      return count;
    });
    ctx.out.result(() => `Purged ${purged} ${status} job(s).`, { purged, status, ...(queue === undefined ? {} : { queue }) });
    return ExitCode.ok;
  },
};
