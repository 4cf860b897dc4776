// The composition root: turns a validated configuration into a store, client, worker or HTTP
// app. The only module that names a concrete store, and where store failures become messages
// that say what to fix.
import { fileURLToPath } from "node:url";
import { createStore } from "../connect.js";
import { Client } from "../core/client.js";
import { configuredStore, redactUrl, type CaudexConfig } from "../core/config.js";
import type { TrustProxySetting } from "../core/trusted-proxies.js";
import { CaudexError } from "../core/errors.js";
import { consoleLogger, type Logger } from "../core/logger.js";
import type { ClientDefaults } from "../core/enqueue-options.js";
import { upsertDeclared } from "../core/schedules.js";
import type { Store } from "../core/store.js";
import type { TaskRegistry } from "../core/task.js";
import { Worker } from "../core/worker.js";
import { CliError } from "./command.js";
import type { TaskModule } from "./task-module.js";
import type { FastifyInstance } from "fastify";

// A store that cannot be reached within this time is reported as unreachable rather than
// leaving a newcomer staring at a silent terminal while a driver retries.
const CONNECT_TIMEOUT_MS = 5000;

/** Opens the configured store (`configuredStore`: Redis, else PostgreSQL, else the SQLite file). */
export async function openStore(config: CaudexConfig, options: { sqliteOnly?: boolean; mustExist?: boolean } = {}): Promise<Store> {
  const choice = options.sqliteOnly === true ? ({ kind: "sqlite" } as const) : configuredStore(config);
  const redisUrl = choice.kind === "redis" ? choice.url : null;
  const opening = createStore({
    ...(redisUrl === null ? {} : { redisUrl, namespace: config.namespace }),
    ...(choice.kind === "postgres" ? { postgresUrl: choice.url } : {}),
    sqlite: { path: config.sqlitePath, mustExist: options.mustExist === true },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([opening, timeout]);
  } catch (error) {
    if (choice.kind === "postgres") throw postgresStoreError(choice.url, error);
    throw storeError(config, redisUrl, error, options.mustExist === true);
  } finally {
    clearTimeout(timer);
  }
}

// Redis answered but refused the credentials: "is Redis running?" would send the operator
// after a server that is fine.
const REDIS_AUTH_REFUSED = /\b(WRONGPASS|NOAUTH)\b/;

/** The messages of an error and of its causes, for matching a driver's reply inside a wrapper. */
function messagesOf(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    messages.push(current instanceof Error ? current.message : typeof current === "string" ? current : "");
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join("\n");
}

/** The CLI error for a store that could not be opened, with a hint at what to fix. */
export function storeError(config: CaudexConfig, redisUrl: string | null, error: unknown, mustExist: boolean): CliError {
  const reason = error instanceof Error ? error.message : String(error);
  if (redisUrl !== null) {
    // The store's message may already say "Cannot connect to Redis"; say it once.
    const detail = reason.replace(/^Cannot connect to Redis:?\s*/i, "");
    const hint = REDIS_AUTH_REFUSED.test(messagesOf(error))
      ? "Redis is running but refused the password: check the password (and user name) in REDIS_URL (or --redis-url), e.g. redis://:PASSWORD@host:6379, against Redis's requirepass or ACL."
      : "Is Redis running and reachable? Start it (e.g. `redis-server` or `docker run -p 6379:6379 redis:7`), fix REDIS_URL (or --redis-url), or unset it to use the SQLite file.";
    return new CliError(`Cannot connect to Redis at ${redactUrl(redisUrl)}: ${detail}`, { hint, cause: error });
  }
  // A driver that cannot load is no fault of the file: its message already names the fixes.
  if (error instanceof CaudexError && error.code === "DRIVER_UNAVAILABLE") {
    return new CliError(reason, { hint: "Rebuild the driver with `npm rebuild better-sqlite3` once build tools are installed.", cause: error });
  }
  // The store's message names the file already ("Cannot open SQLite database <path>: …").
  return new CliError(reason, {
    hint: mustExist
      ? "This command reads or changes existing jobs and creates no database: check CAUDEX_DB (or --db), or start with `caudex dev` or `caudex enqueue`."
      : "Check that the directory is writable, or point CAUDEX_DB (or --db) at another file.",
    cause: error,
  });
}

/** The CLI error for a PostgreSQL store that could not be opened (the URL shown without its password). */
export function postgresStoreError(url: string, error: unknown): CliError {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof CaudexError && error.code === "DRIVER_UNAVAILABLE") return new CliError(reason, { hint: "Install the driver with `npm install pg`.", cause: error });
  return new CliError(`Cannot open the PostgreSQL store at ${redactUrl(url)}: ${reason.replace(/^Cannot open the PostgreSQL store [^:]*:\s*/, "")}`, {
    hint: "Is PostgreSQL running and reachable, and may this user create the schema? Fix CAUDEX_POSTGRES_URL / DATABASE_URL (or --postgres-url), or unset them to use the SQLite file.",
    cause: error,
  });
}

/** The configured job defaults (retention), for the client and for declared schedules alike. */
export function jobDefaults(config: CaudexConfig): Partial<ClientDefaults> {
  return { resultTtlSeconds: config.resultTtlSeconds, failureTtlSeconds: config.failureTtlSeconds };
}

/** A client on `store` with the configured job defaults; `tasks` enables payload checks at enqueue. */
export function createClient(config: CaudexConfig, store: Store, tasks: TaskRegistry | null = null): Client {
  return new Client({ store, ...(tasks === null ? {} : { tasks }), defaults: jobDefaults(config) });
}

/** The codes the core answers for a schedule definition it refuses: the caller's input, not the store, is at fault. */
export const DEFINITION_CODES: ReadonlySet<string> = new Set(["INVALID_SCHEDULE", "UNKNOWN_TASK", "INVALID_PAYLOAD", "INVALID_OPTIONS"]);

/** A refused schedule declaration, said as a fault of the module (the core's code kept); any other error as it is. */
export function moduleScheduleError(error: unknown, shownPath: string): unknown {
  if (!(error instanceof CaudexError) || !DEFINITION_CODES.has(error.code)) return error;
  return new CliError(`Invalid schedule in ${shownPath}: ${error.message}`, { hint: "Fix the defineSchedule() declaration in the tasks module; no schedule was stored.", cause: error });
}

/** Upserts the schedules the tasks module declares, all checked before any is stored. */
export async function upsertModuleSchedules(config: CaudexConfig, store: Store, module: TaskModule, shownPath: string, logger: Logger): Promise<void> {
  await upsertDeclared(store, module.schedules, { tasks: module.tasks, defaults: jobDefaults(config) }, logger).catch((error: unknown) => {
    throw moduleScheduleError(error, shownPath);
  });
}

/** Per-run worker options that are command-line only. */
export interface WorkerRunOptions {
  maxJobs?: number;
  burst?: boolean;
  gracePeriodMs?: number;
  /** Absolute path of the tasks module, to run tasks in child processes. */
  isolateModule?: string;
}

/** A worker on `store` running the module's tasks with the configured name, queues and concurrency; it upserts the module's schedules as it starts. */
export function createWorker(config: CaudexConfig, store: Store, module: TaskModule, run: WorkerRunOptions, logger: Logger): Worker {
  return new Worker({
    store,
    tasks: module.tasks,
    schedules: module.schedules,
    jobDefaults: jobDefaults(config),
    ...(config.workerName === null ? {} : { name: config.workerName }),
    queues: config.queues,
    concurrency: config.concurrency,
    ...(run.maxJobs === undefined ? {} : { maxJobs: run.maxJobs }),
    ...(run.burst === undefined ? {} : { burst: run.burst }),
    ...(run.gracePeriodMs === undefined ? {} : { gracePeriodMs: run.gracePeriodMs }),
    // Children inherit this process's Node options, so a loader such as tsx applies to them too.
    ...(run.isolateModule === undefined ? {} : { isolation: { tasksModule: run.isolateModule, execArgv: process.execArgv } }),
    logger,
  });
}

/** The process logger, per the configured level and format. */
export function createLogger(config: CaudexConfig): Logger {
  return consoleLogger({ level: config.logLevel, json: config.logFormat === "json" });
}

/** Builds the HTTP app (not listening yet) on `client`. */
export async function createApp(
  client: Client,
  options: { token: string | null; readonlyToken: string | null; workerToken?: string | null; workerQueues?: readonly string[] | null; trustProxy?: TrustProxySetting; logger: Logger },
): Promise<FastifyInstance> {
  let server: typeof import("../server/app.js");
  try {
    // Loaded here, not at import: only serve and dev need the HTTP stack.
    server = await import("../server/app.js");
  } catch (error) {
    throw new CliError("The HTTP server module could not be loaded", { hint: "Rebuild with `npm run build`.", cause: error });
  }
  // The dashboard is built beside the CLI, into dist/dashboard.
  const dashboardRoot = fileURLToPath(new URL("../dashboard/", import.meta.url));
  return server.buildApp({
    client,
    auth: { token: options.token, readonlyToken: options.readonlyToken, workerToken: options.workerToken ?? null, workerQueues: options.workerQueues ?? null },
    logger: options.logger,
    dashboard: { root: dashboardRoot },
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
}

/** True for errors whose message is enough (no stack needed without --verbose). */
export function isExpected(error: unknown): boolean {
  return error instanceof CliError || error instanceof CaudexError;
}

/** Opens the configured store, runs `fn` with a client on it, and closes the store. */
export async function withClient<T>(config: CaudexConfig, fn: (client: Client) => Promise<T>, tasks: TaskRegistry | null = null, options: { create?: boolean } = {}): Promise<T> {
  // Only commands that store new jobs create the SQLite file: a mistyped --db is an error elsewhere.
  const client = createClient(config, await openStore(config, { mustExist: options.create !== true }), tasks);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
