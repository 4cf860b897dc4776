// `caudex resume QUEUE`: workers claim from a paused queue again, in its usual order.
// --json prints what POST /queues/{name}/resume answers.
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { queueArgument } from "./pause.js";

/** The `resume` command. */
export const resumeCommand: Command = {
  name: "resume",
  summary: "Resume a paused queue: workers claim from it again",
  usage: "resume QUEUE",
  details: "Resuming a queue that is not paused changes nothing.",
  options: {},
  positionals: ["QUEUE"],
  settings: [],
  async run(ctx) {
    const queue = queueArgument(ctx);
    await withClient(ctx.config, (client) => client.resumeQueue(queue));
    ctx.out.result(() => `Queue ${queue} is resumed: workers claim from it again.`, { queue, paused: false });
    return ExitCode.ok;
  },
};
