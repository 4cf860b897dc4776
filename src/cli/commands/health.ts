// `caudex health`: is the store reachable, and can every waiting job run? Exit 0 when all is
// well, 1 when anything needs attention, so it fits a cron job or a readiness probe.
import { ExitCode, type Command } from "../command.js";
import { withClient } from "../compose.js";
import { unattendedQueues } from "../queue-alerts.js";
import { renderPairs } from "../table.js";

/** The `health` command. */
export const healthCommand: Command = {
  name: "health",
  summary: "Check the store and warn about jobs no worker will run (exit 1 when unhealthy)",
  usage: "health",
  options: {},
  positionals: [],
  settings: [],
  async run(ctx) {
    const report = await withClient(ctx.config, async (client) => {
      const store = await client.storeHealth();
      const workers = await client.workers();
      const alerts = unattendedQueues(await client.stats(), workers);
      return { store: client.storeKind, storeOk: store.ok, warnings: [...store.warnings, ...alerts.map((a) => a.message)], workers: workers.length, alerts, details: store.details };
    });
    const status = !report.storeOk ? "unhealthy" : report.warnings.length > 0 ? "degraded" : "ok";
    ctx.out.result(
      () =>
        [
          renderPairs([
            ["status", status],
            ["store", `${report.store} (${report.storeOk ? "reachable" : "NOT reachable"})`],
            ["workers", String(report.workers)],
          ]),
          ...report.warnings.map((w) => `Warning: ${w}`),
        ].join("\n"),
      { status, ...report },
    );
    return status === "ok" ? ExitCode.ok : ExitCode.failure;
  },
};
