// `caudex retry ID`: puts a FAILED or CANCELED job back in QUEUED.
import { jobView } from "../../server/views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";

/** The `retry` command. */
export const retryCommand: Command = {
  name: "retry",
  summary: "Retry a FAILED or CANCELED job (back to QUEUED)",
  usage: "retry ID",
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const job = await withClient(ctx.config, (client) => client.retry(id));
    ctx.out.result(() => `Job ${job.id} is ${job.status} again.`, jobView(job));
    return ExitCode.ok;
  },
};
