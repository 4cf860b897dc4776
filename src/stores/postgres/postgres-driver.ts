// Loads node-postgres (`pg`), the PostgreSQL store's driver, on first use: it is an optional
// dependency, so users of the other stores never install or load it. A missing driver fails
// with DRIVER_UNAVAILABLE and the command that installs it.
import { createRequire } from "node:module";
import type pg from "pg";
import { DriverUnavailableError } from "../../core/errors.js";

/** The `pg` module; throws DRIVER_UNAVAILABLE (with the fix) when it is not installed. */
export function loadPostgresDriver(load: (name: string) => unknown = createRequire(import.meta.url)): typeof pg {
  try {
    return load("pg") as typeof pg;
  } catch (error) {
    const reason = (error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)).replace(/[\s.:]+$/, "");
    throw new DriverUnavailableError(
      `The PostgreSQL driver (pg) could not be loaded: ${reason}. It is an optional dependency of caudex: install it with \`npm install pg\`.`,
      error,
    );
  }
}
