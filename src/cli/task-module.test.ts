// Loading a tasks module: a module that never finishes loading gets a clear error.
import { describe, expect, it } from "vitest";
import { importTasks } from "./task-module.js";

describe("importTasks", () => {
  it("gives up with a clear error on a module whose top-level await never settles", async () => {
    const url = new URL("data:text/javascript,await new Promise(() => {});");
    const loading = importTasks(url, "tla.mjs", 100);
    await expect(loading).rejects.toThrow("The tasks module tla.mjs did not finish loading within 0.1 s");
  });

  it("still reports a module that fails to load", async () => {
    const url = new URL("data:text/javascript,throw new Error('boom');");
    await expect(importTasks(url, "broken.mjs", 1000)).rejects.toThrow("Cannot load tasks module broken.mjs: boom");
  });
});
