// `caudex job ID`: every detail of one job; exit 1 when no job has this id.
import { jobView } from "../../server/views.js";
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
    const job = await withClient(ctx.config, (client) => client.requireJob(id));
    ctx.out.result(() => renderJob(job), jobView(job));
    return ExitCode.ok;
  },
};
