// `caudex dev`: the zero-setup start. One process on the SQLite file: the HTTP API with the
// dashboard, and a worker running the tasks module (the bundled examples by default).
import { randomBytes } from "node:crypto";
import { ExitCode, type Command } from "../command.js";
import { createClient, createLogger, createWorker, openStore, upsertModuleSchedules } from "../compose.js";
import { parseDurationMs } from "../duration.js";
import { renderPairs } from "../table.js";
import { EXAMPLE_TASKS_URL, importTasks, loadTaskModule } from "../task-module.js";
import { listen } from "./serve.js";
import { DEFAULT_GRACE_PERIOD_MS, MAX_GRACE_PERIOD_MS, stopOnSignals } from "./worker.js";

function banner(url: string, token: string, generated: boolean, sqlitePath: string, tasks: string[], schedules: string[]): string {
  return [
    "Caudex is running (dev).",
    "",
    renderPairs([
      ["API", url],
      ["API docs", `${url}/docs`],
      ["Dashboard", `${url}/dashboard`],
      ["Token", generated ? `${token}  (generated for this run; set INTERNAL_SERVICE_TOKEN to keep one)` : "from INTERNAL_SERVICE_TOKEN"],
      ["Store", `SQLite ${sqlitePath}`],
      ["Tasks", tasks.join(", ")],
      ...(schedules.length === 0 ? [] : [["Schedules", schedules.join(", ")] as [string, string]]),
    ]),
    "",
    "Try it:",
    `  curl -H "Authorization: Bearer ${generated ? token : "$INTERNAL_SERVICE_TOKEN"}" ${url}/monitoring/queue/stats`,
    "Press Ctrl-C to stop.",
  ].join("\n");
}

/** The `dev` command. */
export const devCommand: Command = {
  name: "dev",
  summary: "Start everything in one process on SQLite: API, dashboard and a worker",
  usage: "dev [--tasks FILE] [--port 5000]",
  details: "Without --tasks the bundled example tasks run (generate_wiki, send_email, flaky_import), and their schedule daily_digest.",
  options: {
    "grace-period": { type: "string", help: "DURATION  time running jobs get to finish on Ctrl-C (default 30s)" },
  },
  positionals: [],
  settings: ["tasksModule", "token", "readonlyToken", "workerToken", "workerQueues", "host", "port", "trustProxy", "queues", "concurrency", "workerName", "resultTtlSeconds", "failureTtlSeconds"],
  async run(ctx) {
    const { config } = ctx;
    if (config.redisUrl !== null) ctx.out.note("caudex dev always uses the SQLite file; REDIS_URL is ignored (use serve and worker for Redis).");
    else if (config.postgresUrl !== null) ctx.out.note("caudex dev always uses the SQLite file; the PostgreSQL URL is ignored (use serve and worker for PostgreSQL).");
    const grace = typeof ctx.values["grace-period"] === "string" ? parseDurationMs(ctx.values["grace-period"], "--grace-period", "dev", MAX_GRACE_PERIOD_MS) : DEFAULT_GRACE_PERIOD_MS;
    const shownPath = config.tasksModule ?? "the bundled example tasks";
    const module = config.tasksModule === null ? await importTasks(EXAMPLE_TASKS_URL, shownPath) : await loadTaskModule(config.tasksModule, process.cwd());
    const tasks = module.tasks;
    const generated = config.token === null;
    const token = config.token ?? randomBytes(24).toString("base64url");
    const log = createLogger(config);
    const store = await openStore(config, { sqliteOnly: true });
    const client = createClient(config, store, tasks);
    try {
      // Upserted here, before the API answers, so the worker below is given none to upsert again.
      await upsertModuleSchedules(config, store, module, shownPath, log);
      const { app, url } = await listen(config, client, { host: config.host ?? "127.0.0.1", token, logger: log });
      const worker = createWorker(config, store, { tasks, schedules: [] }, { gracePeriodMs: grace }, log);
      await worker.start();
      // Signals are wired before the banner, so a stop sent as soon as it shows is graceful.
      // The API closes as soon as a stop is asked; the worker then gets its grace period.
      const closing: Array<Promise<unknown>> = [];
      const signals = stopOnSignals(worker, log, grace, () => closing.push(app.close()));
      const schedules = module.schedules.map((s) => s.id);
      ctx.out.result(() => banner(url, token, generated, config.sqlitePath, tasks.names(), schedules), { url, token, tokenGenerated: generated, store: config.sqlitePath, tasks: tasks.names(), schedules });
      try {
        await worker.finished();
        await Promise.all(closing);
      } finally {
        signals.dispose();
      }
    } finally {
      await client.close();
    }
    return ExitCode.ok;
  },
};
