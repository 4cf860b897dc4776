// Loading a tasks module: tasks and declared schedules are collected; a module that never
// finishes loading gets a clear error.
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

  // What defineTask and defineSchedule return, written out: a data: module cannot import Caudex.
  const task = `{ kind: "caudex.task", name: "ping", handler: async () => null, options: {} }`;
  const schedule = (id: string) => `{ kind: "caudex.schedule", id: "${id}", task: "ping", every: "1m" }`;

  it("collects the schedules a module declares, named or in its default export, once each", async () => {
    const source = `export const ping = ${task}; export const tick = ${schedule("tick")}; export default [tick, ${schedule("tock")}];`;
    const module = await importTasks(new URL(`data:text/javascript,${encodeURIComponent(source)}`), "schedules.mjs", 1000);
    expect(module.tasks.names()).toEqual(["ping"]);
    expect(module.schedules.map((s) => s.id)).toEqual(["tick", "tock"]);
  });

  it("refuses two different schedules declared with the same id", async () => {
    const source = `export const ping = ${task}; export const a = ${schedule("tick")}; export const b = ${schedule("tick")};`;
    await expect(importTasks(new URL(`data:text/javascript,${encodeURIComponent(source)}`), "twice.mjs", 1000)).rejects.toThrow('two schedules are declared with the id "tick"');
  });
});
