// Loads a tasks module by path and registers the task definitions it exports: named exports,
// or a default export that is a definition, an array of them, or an object of them. Schedules
// declared with defineSchedule are collected the same way, for the worker and server to upsert.
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidScheduleError } from "../core/errors.js";
import { isDeclaredSchedule, type DeclaredSchedule } from "../core/schedule-definition.js";
import { isTaskDefinition, TaskRegistry } from "../core/task.js";
import { CliError } from "./command.js";

/** What a tasks module exports: its tasks, and the schedules declared beside them. */
export interface TaskModule {
  tasks: TaskRegistry;
  schedules: readonly DeclaredSchedule[];
}

/** The bundled example tasks (generate_wiki, send_email, flaky_import) and schedule (daily_digest), compiled beside the CLI. */
export const EXAMPLE_TASKS_URL = new URL("../examples/tasks.js", import.meta.url);

/** Imports `path` (relative to `cwd`) and registers its task definitions. */
export async function loadTaskModule(path: string, cwd: string): Promise<TaskModule> {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  if (!existsSync(absolute)) {
    throw new CliError(`Tasks module not found: ${absolute}`, {
      hint: `Check the path given to --tasks (or CAUDEX_TASKS): it is resolved from ${cwd}. Point it at your compiled tasks file, e.g. --tasks ./dist/tasks.js (run your build first).`,
    });
  }
  return importTasks(pathToFileURL(absolute), absolute);
}

// A module whose top-level await never settles would otherwise end the process with no word
// (Node exits with code 13 once nothing else is pending).
const IMPORT_TIMEOUT_MS = 30_000;

/** Imports a tasks module by URL and registers its task definitions; collects its declared schedules. */
export async function importTasks(url: URL, shownPath: string, timeoutMs = IMPORT_TIMEOUT_MS): Promise<TaskModule> {
  let exports: Record<string, unknown>;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new CliError(`The tasks module ${shownPath} did not finish loading within ${timeoutMs / 1000} s`, {
          hint: "A top-level await in the module (or in one of its imports) never settles: open connections and wait for services inside the task handlers, or give that wait a timeout.",
        }),
      );
    }, timeoutMs);
  });
  try {
    exports = (await Promise.race([import(url.href), timedOut])) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`Cannot load tasks module ${shownPath}: ${reason}`, {
      hint: "Fix the error above in the module (or its imports). Node runs JavaScript: compile TypeScript first, or start Node with a loader (node --import tsx).",
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  const registry = new TaskRegistry();
  let schedules: DeclaredSchedule[];
  try {
    for (const definition of definitionsIn(exports, isTaskDefinition)) registry.register(definition);
    schedules = schedulesIn(exports);
  } catch (error) {
    throw new CliError(`Invalid tasks module ${shownPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (registry.size === 0) {
    throw new CliError(`The tasks module ${shownPath} exports no task definitions`, {
      hint: 'Export the results of defineTask(), e.g. `export const sendEmail = defineTask("send_email", handler)`, or a default array of them.',
    });
  }
  return { tasks: registry, schedules };
}

/** The exports that pass `is`: named exports, or in a default export (one, an array, an object of them). */
function definitionsIn<T>(exports: Record<string, unknown>, is: (value: unknown) => value is T): T[] {
  const found: T[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (is(value)) found.push(value);
    else if (name === "default" && Array.isArray(value)) found.push(...value.filter(is));
    else if (name === "default" && typeof value === "object" && value !== null) {
      found.push(...Object.values(value).filter(is));
    }
  }
  // The same definition may be exported twice (named and in the default); register it once.
  return [...new Set(found)];
}

/** The declared schedules; two different ones with the same id would overwrite each other at every start. */
function schedulesIn(exports: Record<string, unknown>): DeclaredSchedule[] {
  const schedules = definitionsIn(exports, isDeclaredSchedule);
  const ids = new Set<string>();
  for (const schedule of schedules) {
    if (ids.has(schedule.id)) throw new InvalidScheduleError(`two schedules are declared with the id "${schedule.id}"`);
    ids.add(schedule.id);
  }
  return schedules;
}
