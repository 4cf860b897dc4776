// `caudex cancel ID`: cancels a job that has not finished; a running one loses its lease.
import { jobView } from "../../server/views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";

/** The `cancel` command. */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "Cancel a job that has not finished (a running job is aborted)",
  usage: "cancel ID",
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const job = await withClient(ctx.config, (client) => client.cancel(id));
    ctx.out.result(() => `Job ${job.id} is ${job.status}.`, jobView(job));
    return ExitCode.ok;
  },
};
