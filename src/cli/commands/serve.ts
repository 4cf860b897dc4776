// `caudex serve`: the HTTP API (and dashboard) only, closed by default: it refuses to start
// without a token unless told --no-auth on a loopback interface.
import { isIP } from "node:net";
import type { Client } from "../../core/client.js";
import type { CaudexConfig } from "../../core/config.js";
import type { Logger } from "../../core/logger.js";
import { DEFAULT_MAINTENANCE, Maintenance } from "../../core/maintenance.js";
import { CliError, ExitCode, flag, type Command, type CommandContext } from "../command.js";
import { createApp, createClient, createLogger, openStore, upsertModuleSchedules } from "../compose.js";
import type { FastifyInstance } from "fastify";
import { untilStopSignal } from "../shutdown.js";
import { loadTaskModule } from "../task-module.js";

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/**
 * The API is closed by default (`serve` and `dashboard` alike): a token is required, and
 * --no-auth is accepted only on a loopback host. Returns the host to bind and whether auth is off.
 */
export function closedByDefault(ctx: CommandContext, command: string): { host: string; noAuth: boolean } {
  const host = ctx.config.host ?? "0.0.0.0";
  const noAuth = flag(ctx, "no-auth");
  if (noAuth && !isLoopback(host)) {
    throw new CliError(`--no-auth is refused on ${host}: anyone who can reach it could run and delete jobs`, {
      hint: "Bind to 127.0.0.1 (--host 127.0.0.1), or set a token with INTERNAL_SERVICE_TOKEN.",
      exitCode: ExitCode.usage,
    });
  }
  if (ctx.config.token === null && !noAuth) {
    throw new CliError(`caudex ${command} needs a token: the API is closed by default`, {
      hint: "Set INTERNAL_SERVICE_TOKEN (or --token), e.g. INTERNAL_SERVICE_TOKEN=$(openssl rand -hex 32); for local tests only, --no-auth --host 127.0.0.1.",
      exitCode: ExitCode.usage,
    });
  }
  return { host, noAuth };
}

/** Builds the app on `client` and starts listening; returns the app and its base URL. */
export async function listen(
  config: CaudexConfig,
  client: Client,
  options: { host: string; token: string | null; logger: Logger },
): Promise<{ app: FastifyInstance; url: string }> {
  const app = await createApp(client, { token: options.token, readonlyToken: config.readonlyToken, workerToken: config.workerToken, workerQueues: config.workerQueues, trustProxy: config.trustProxy, logger: options.logger });
  try {
    const address = await app.listen({ port: config.port, host: options.host });
    return { app, url: address.replace("://[::1]", "://localhost").replace("://0.0.0.0", "://localhost") };
  } catch (error) {
    await app.close();
    const reason = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    throw new CliError(`Cannot listen on ${options.host}:${config.port}: ${reason}`, {
      hint:
        code === "EADDRINUSE"
          ? "Another process uses this port: pick another with --port (or PORT)."
          : code === "EACCES"
            ? "Ports below 1024 need privileges: pick a higher one with --port (or PORT)."
            : code === "ENOTFOUND" || code === "EADDRNOTAVAIL" || code === "EAI_AGAIN"
              ? "Check --host (or HOST): it must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0."
              : "Check --host and --port (or HOST and PORT).",
      cause: error,
    });
  }
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Run the HTTP API and dashboard (no workers)",
  usage: "serve [--port 5000] [--host 0.0.0.0] [--token TOKEN] [--no-auth]",
  details: "A token is required (INTERNAL_SERVICE_TOKEN or --token); --no-auth is allowed only with a loopback --host.",
  options: {
    "no-auth": { type: "boolean", help: "serve without authentication (only on a loopback host)" },
  },
  positionals: [],
  settings: ["token", "readonlyToken", "workerToken", "workerQueues", "host", "port", "trustProxy", "tasksModule", "resultTtlSeconds", "failureTtlSeconds"],
  async run(ctx) {
    const { config } = ctx;
    const { host, noAuth } = closedByDefault(ctx, "serve");
    const module = config.tasksModule === null ? null : await loadTaskModule(config.tasksModule, process.cwd());
    const log = createLogger(config);
    const store = await openStore(config);
    const client = createClient(config, store, module?.tasks ?? null);
    try {
      // The module's schedules are upserted before the API answers; the maintenance below fires them.
      if (module !== null && config.tasksModule !== null) await upsertModuleSchedules(config, store, module, config.tasksModule, log);
      const { app, url } = await listen(config, client, { host, token: noAuth ? null : config.token, logger: log });
      log.info(`serving the API on ${url} (store: ${client.storeKind}${noAuth ? ", NO AUTHENTICATION" : ""})`);
      // The server takes part in maintenance too: schedules fire, scheduled jobs are promoted,
      // expired leases recovered and old jobs pruned even while no worker runs.
      const maintenance = new Maintenance(store, DEFAULT_MAINTENANCE, log);
      maintenance.start();
      await untilStopSignal();
      await maintenance.stop();
      await app.close();
    } finally {
      await client.close();
    }
    return ExitCode.ok;
  },
};
