// `caudex why ID`: why a job is not running or not finished, one numbered reason a line with
// its stable code (docs/explain.md); exit 1 when no job has this id.
import type { Explanation } from "../../core/explain.js";
import { explanationView } from "../../server/explain-views.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";

/** The explanation as text: the job and its status, then each reason with its code. */
export function renderExplanation(explanation: Explanation): string {
  const lines = [`${explanation.jobId} is ${explanation.status}:`];
  explanation.reasons.forEach((reason, i) => lines.push(`  ${i + 1}. ${reason.code}  ${reason.message}`));
  return lines.join("\n");
}

/** The `why` command. */
export const whyCommand: Command = {
  name: "why",
  summary: "Say why a job is not running (or not finished): scheduled, retrying, waiting, held, no worker, busy…",
  usage: "why ID",
  details: [
    "Lists the reasons in order, the most decisive first, each with a stable code (docs/explain.md):",
    "a run time or a retry's backoff, dependencies, a limit, a paused queue, no live worker for the",
    "queue or the task, busy workers, higher-priority queues, its place in its queue, or a lease held",
    "by a worker that is gone. --json prints GET /jobs/{id}/explain's answer.",
  ].join("\n"),
  options: {},
  positionals: ["ID"],
  settings: [],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const explanation = await withClient(ctx.config, (client) => client.explain(id));
    ctx.out.result(() => renderExplanation(explanation), explanationView(explanation));
    return ExitCode.ok;
  },
};
