import { describe, expect, it } from "vitest";
import { DriverUnavailableError } from "../../core/errors.js";
import { loadSqliteDriver } from "./sqlite-driver.js";

describe("loadSqliteDriver", () => {
  it("loads better-sqlite3", () => {
    expect(typeof loadSqliteDriver()).toBe("function");
  });

  it("turns a failed native build into DRIVER_UNAVAILABLE naming the fixes", () => {
    const bindings = new Error("Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node");
    let thrown: unknown;
    try {
      loadSqliteDriver(() => {
        throw bindings;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DriverUnavailableError);
    const error = thrown as DriverUnavailableError;
    expect(error.code).toBe("DRIVER_UNAVAILABLE");
    expect(error.cause).toBe(bindings);
    expect(error.message).toContain("Could not locate the bindings file");
    expect(error.message).not.toContain("/app/node_modules");
    expect(error.message).toContain("npm rebuild better-sqlite3");
    expect(error.message).toContain("make");
    expect(error.message).toContain(process.version);
  });
});
