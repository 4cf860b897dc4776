// `caudex job ID`: every detail of one job (with why limits hold it, as GET /jobs/{id}); exit 1 when no job has this id.
import { jobDetailView } from "../../server/views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { renderJob } from "../job-view.js";

/** The `job` command. */
export const jobCommand: Command = {
  name: "job",
  summary: "Show one job: status, attempts, payload, progress, result or error",
  usage: "job ID",
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const { job, heldBy } = await withClient(ctx.config, async (client) => {
      const found = await client.requireJob(id);
      return { job: found, heldBy: await client.limits.holdOf(found) };
    });
    ctx.out.result(() => renderJob(job, Date.now(), heldBy), jobDetailView(job, heldBy));
    return ExitCode.ok;
  },
};
