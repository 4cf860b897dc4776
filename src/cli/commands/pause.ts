// `caudex pause QUEUE`: workers stop claiming from the queue; its jobs stay where they are and
// running ones finish. --json prints what POST /queues/{name}/pause answers.
import { isValidQueueName } from "../../core/job-rules.js";
import { ExitCode, UsageError, type Command, type CommandContext } from "../command.js";
import { withClient } from "../compose.js";

/** The QUEUE argument, checked as the HTTP API checks it; a bad name is a usage error. */
export function queueArgument(ctx: CommandContext): string {
  const queue = ctx.positionals[0] as string;
  if (!isValidQueueName(queue)) throw new UsageError(`Invalid queue name "${queue.slice(0, 80)}": use up to 64 letters, digits, _ . : - (starting with a letter or digit)`, ctx.command);
  return queue;
}

/** The `pause` command. */
export const pauseCommand: Command = {
  name: "pause",
  summary: "Pause a queue: workers claim nothing from it until `caudex resume`",
  usage: "pause QUEUE",
  details: "Jobs keep arriving and waiting; running jobs finish. A queue may be paused before any job names it. `caudex stats` shows PAUSED.",
  options: {},
  positionals: ["QUEUE"],
  settings: [],
  async run(ctx) {
    const queue = queueArgument(ctx);
    await withClient(ctx.config, (client) => client.pauseQueue(queue));
    ctx.out.result(() => `Queue ${queue} is paused: workers claim nothing from it until \`caudex resume ${queue}\`.`, { queue, paused: true });
    return ExitCode.ok;
  },
};
