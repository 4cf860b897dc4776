// `caudex stats`: counts per queue and status, the oldest waiting job, and queues whose jobs
// wait with no worker listening.
import type { QueueStats } from "../../core/job.js";
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { formatDuration } from "../duration.js";
import { unattendedQueues, workersOn, type QueueAlert } from "../queue-alerts.js";
import { renderTable } from "../table.js";

function renderStats(stats: readonly QueueStats[], workerCounts: ReadonlyMap<string, number>, alerts: readonly QueueAlert[]): string {
  if (stats.length === 0) return "No jobs yet. Enqueue one with `caudex enqueue TASK --payload JSON`.";
  const table = renderTable(
    ["QUEUE", "QUEUED", "SCHEDULED", "DEFERRED", "PROCESSING", "COMPLETED", "FAILED", "CANCELED", "OLDEST WAITING", "WORKERS", "PAUSED"],
    stats.map((s) => [
      s.queue,
      String(s.counts.QUEUED),
      String(s.counts.SCHEDULED),
      String(s.counts.DEFERRED),
      String(s.counts.PROCESSING),
      String(s.counts.COMPLETED),
      String(s.counts.FAILED),
      String(s.counts.CANCELED),
      s.oldestWaitingMs === null ? "-" : formatDuration(s.oldestWaitingMs),
      String(workerCounts.get(s.queue) ?? 0),
      s.paused ? "yes" : "",
    ]),
  );
  return [table, ...alerts.map((a) => `\nWarning: ${a.message}`)].join("\n");
}

/** The `stats` command. */
export const statsCommand: Command = {
  name: "stats",
  summary: "Counts per queue and status; warns about queues no worker listens on",
  usage: "stats",
  options: {},
  positionals: [],
  settings: [],
  async run(ctx) {
    const { stats, workers } = await withClient(ctx.config, async (client) => ({
      stats: await client.stats(),
      workers: await client.workers(),
    }));
    const workerCounts = new Map(stats.map((s) => [s.queue, workersOn(s.queue, workers)]));
    const alerts = unattendedQueues(stats, workers);
    ctx.out.result(() => renderStats(stats, workerCounts, alerts), {
      queues: stats.map((s) => ({ ...s, workers: workerCounts.get(s.queue) ?? 0 })),
      alerts,
    });
    return ExitCode.ok;
  },
};
