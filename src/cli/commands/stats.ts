// `caudex stats`: counts per queue and status, the oldest waiting job, and queues whose jobs
// wait with no worker listening.
import type { Client } from "../../core/client.js";
import type { QueueStats } from "../../core/job.js";
import { ExitCode, flag, stringOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../compose.js";
import { formatDuration, parseDurationMs } from "../duration.js";
import { unattendedQueues, workersOn, type QueueAlert } from "../queue-alerts.js";
import { untilStopSignal } from "../shutdown.js";
import { watchSnapshots, type Snapshot } from "../stats-watch.js";
import { renderTable } from "../table.js";

/** The default, shortest and longest --interval of --watch. */
const WATCH_INTERVAL_MS = { default: 2000, min: 100, max: 3600_000 } as const;

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

async function snapshot(client: Client): Promise<Snapshot> {
  const stats = await client.stats();
  const workers = await client.workers();
  const workerCounts = new Map(stats.map((s) => [s.queue, workersOn(s.queue, workers)]));
  const alerts = unattendedQueues(stats, workers);
  return {
    text: renderStats(stats, workerCounts, alerts),
    data: { queues: stats.map((s) => ({ ...s, workers: workerCounts.get(s.queue) ?? 0 })), alerts },
  };
}

/** Redraws (or, piped, appends) the stats every interval until SIGINT or SIGTERM; exits 0. */
async function watch(ctx: CommandContext, intervalText: string | undefined): Promise<number> {
  const { default: fallback, min, max } = WATCH_INTERVAL_MS;
  const intervalMs = intervalText === undefined ? fallback : parseDurationMs(intervalText, "--interval", ctx.command, max, min);
  const stop = new AbortController();
  void untilStopSignal().then(() => stop.abort());
  // A reader that goes away (`| head`) ends the watch, as Ctrl-C does.
  process.stdout.once("error", () => stop.abort());
  await withClient(ctx.config, (client) =>
    watchSnapshots(() => snapshot(client), {
      intervalMs,
      tty: process.stdout.isTTY === true,
      json: ctx.out.json,
      write: (text) => process.stdout.write(text),
      signal: stop.signal,
    }),
  );
  return ExitCode.ok;
}

/** The `stats` command. */
export const statsCommand: Command = {
  name: "stats",
  summary: "Counts per queue and status; warns about queues no worker listens on",
  usage: "stats [--watch] [--interval 2s]",
  details: [
    "--watch redraws the table every interval until Ctrl-C (like `rq info --interval`); piped, it",
    "prints one table per interval under a time line, and with --json one JSON document per line.",
  ].join("\n"),
  options: {
    watch: { type: "boolean", short: "w", help: "show the stats again every interval until Ctrl-C" },
    interval: { type: "string", short: "i", help: "DURATION  time between two --watch snapshots (default 2s; implies --watch)" },
  },
  positionals: [],
  settings: [],
  async run(ctx) {
    const interval = stringOption(ctx, "interval");
    if (flag(ctx, "watch") || interval !== undefined) return watch(ctx, interval);
    const { text, data } = await withClient(ctx.config, snapshot);
    ctx.out.result(() => text, data);
    return ExitCode.ok;
  },
};
