// The shape of src/server/app.ts as the CLI uses it: buildApp(deps) returns an app that the
// caller starts listening. Declared here so the CLI loads the server only when it serves.
import type { Client } from "../core/client.js";
import type { Logger } from "../core/logger.js";
import type { TaskRegistry } from "../core/task.js";

/** What the HTTP app needs. */
export interface AppDeps {
  client: Client;
  tasks?: TaskRegistry | null;
  auth: { token: string | null; readonlyToken: string | null };
  logger?: Logger;
  workerTtlMs?: number;
  bodyLimitBytes?: number;
  dashboard?: { root: string } | null;
}

/** The part of a Fastify instance the CLI drives. */
export interface HttpApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

/** The server module. */
export interface ServerModule {
  buildApp(deps: AppDeps): Promise<HttpApp>;
}
