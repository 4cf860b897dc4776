// `caudex dashboard`: the dashboard on its own port (9181 by default, where operators of the
// original system looked for it), with the HTTP API it talks to; closed by default like serve.
import { ExitCode, type Command } from "../command.js";
import { createClient, createLogger, openStore } from "../compose.js";
import { untilStopSignal } from "../shutdown.js";
import { closedByDefault, listen } from "./serve.js";

/** Port of `caudex dashboard` unless --port or PORT says otherwise. */
export const DASHBOARD_PORT = 9181;

/** The `dashboard` command. */
export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "Serve the live dashboard (and the API it uses) on its own port",
  usage: "dashboard [--port 9181] [--host 0.0.0.0] [--token TOKEN] [--no-auth]",
  details: "Open http://localhost:9181/dashboard and sign in with the token (the read-only token shows without actions).",
  options: {
    "no-auth": { type: "boolean", help: "serve without authentication (only on a loopback host)" },
  },
  positionals: [],
  settings: ["token", "readonlyToken", "host", "port", "trustProxy"],
  async run(ctx) {
    const { host, noAuth } = closedByDefault(ctx, "dashboard");
    const config = { ...ctx.config, port: ctx.explicit.has("port") ? ctx.config.port : DASHBOARD_PORT };
    const log = createLogger(config);
    const client = createClient(config, await openStore(config), null);
    try {
      const { app, url } = await listen(config, client, { host, token: noAuth ? null : config.token, logger: log });
      log.info(`dashboard on ${url}/dashboard (store: ${client.storeKind})`);
      await untilStopSignal();
      await app.close();
    } finally {
      await client.close();
    }
    return ExitCode.ok;
  },
};
