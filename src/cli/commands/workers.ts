// `caudex workers`: the live workers, their queues and what they are running.
import type { WorkerInfo } from "../../core/job.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { formatDuration } from "../duration.js";
import { renderTable } from "../table.js";

function renderWorkers(workers: readonly WorkerInfo[], now: number): string {
  if (workers.length === 0) return "No live workers. Start one with `caudex worker`.";
  return renderTable(
    ["NAME", "HOST", "PID", "QUEUES", "STATE", "RUNNING", "PROCESSED", "FAILED", "UP", "HEARTBEAT"],
    workers.map((w) => [
      w.name,
      w.host,
      String(w.pid),
      w.queues.join(","),
      w.state,
      `${w.currentJobs.length}/${w.concurrency}`,
      String(w.processed),
      String(w.failed),
      formatDuration(Math.max(0, now - w.startedAt)),
      `${formatDuration(Math.max(0, now - w.heartbeatAt))} ago`,
    ]),
  );
}

/** The `workers` command. */
export const workersCommand: Command = {
  name: "workers",
  summary: "List live workers",
  usage: "workers",
  options: {},
  positionals: [],
  settings: [],
  async run(ctx) {
    const { workers, now } = await withClient(ctx.config, async (client) => ({
      workers: await client.workers(),
      now: await client.now(),
    }));
    ctx.out.result(() => renderWorkers(workers, now), { workers });
    return ExitCode.ok;
  },
};
