// Loads better-sqlite3, the SQLite store's native driver, on first use. A driver whose native
// build failed or was built for another Node version fails here with DRIVER_UNAVAILABLE and a
// message that says how to fix it, instead of a bare "Could not locate the bindings file".
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { DriverUnavailableError } from "../../core/errors.js";

/** The better-sqlite3 constructor; throws DRIVER_UNAVAILABLE (with the fix) when it cannot load. */
export function loadSqliteDriver(load: (name: string) => unknown = createRequire(import.meta.url)): typeof BetterSqlite3 {
  // require() keeps the module once loaded, so each store after the first pays a cache lookup.
  try {
    return load("better-sqlite3") as typeof BetterSqlite3;
  } catch (error) {
    throw new DriverUnavailableError(driverFailureMessage(error), error);
  }
}

/** What to tell a user whose driver did not load: the reason, then the fixes in the order to try them. */
export function driverFailureMessage(error: unknown): string {
  // The first line only: the driver's next lines list every path it tried.
  const reason = (error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)).replace(/[\s.:]+$/, "");
  return (
    `The SQLite driver (better-sqlite3) could not be loaded: ${reason}. ` +
    `Its native module is built when it is installed; to fix it: use a supported Node.js version (20 or later, ` +
    `this is ${process.version}); install build tools (python3, make and a C++ compiler: on Debian/Ubuntu ` +
    "`apt-get install python3 make g++`, on macOS `xcode-select --install`); then run `npm rebuild better-sqlite3` " +
    "(after changing Node versions too). Or use the Redis store (set REDIS_URL)."
  );
}
