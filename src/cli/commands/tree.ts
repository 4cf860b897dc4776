// `caudex tree ID`: the flow a job belongs to, from its root, one indented line per job with its
// status; exit 1 when no job has this id.
import { MAX_TREE_JOBS } from "../../core/flows.js";
import { treeView } from "../../server/flow-views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { renderTree } from "../tree-view.js";

/** The `tree` command. */
export const treeCommand: Command = {
  name: "tree",
  summary: "Show the flow a job belongs to: every job under the one it belongs to, with its status",
  usage: "tree ID",
  details: [
    "Starts at the flow's root (the job itself when it belongs to no flow) and follows what each",
    `job depends on, at most ${MAX_TREE_JOBS} jobs. --json prints GET /jobs/{id}/tree's answer.`,
  ].join("\n"),
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const tree = await withClient(ctx.config, (client) => client.jobTree(id));
    ctx.out.result(() => renderTree(tree), treeView(tree));
    return ExitCode.ok;
  },
};
