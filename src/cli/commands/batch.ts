// `caudex batch ID`: how a batch's members have ended so far and its callback; exit 1 when no
// job has this id.
import { batchView } from "../../server/flow-views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { renderBatch } from "../tree-view.js";

/** The `batch` command. */
export const batchCommand: Command = {
  name: "batch",
  summary: "Show a batch: how many of its jobs completed, failed, were canceled or still wait",
  usage: "batch ID",
  details: "ID is the batch's id (its callback's job id). --json prints GET /batches/{id}'s answer.",
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const batch = await withClient(ctx.config, (client) => client.getBatch(id));
    ctx.out.result(() => renderBatch(batch), batchView(batch));
    return ExitCode.ok;
  },
};
