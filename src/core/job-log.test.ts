// The worker's per-job log lines: one per outcome, at filterable levels, in text or JSON, and
// through a real pino instance with every field kept.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { consoleLogger, type Logger } from "./logger.js";
import type { PinoLikeLogger } from "./pino-logger.js";
import { defineTask } from "./task.js";
import { Worker } from "./worker.js";

const ok = defineTask("ok_task", () => "fine");
const broken = defineTask("broken_task", () => {
  throw new Error("boom");
});

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** Runs one ok job and one broken job (2 attempts, no backoff) with `logger`; returns when both are final. */
async function runJobs(logger: Logger | PinoLikeLogger): Promise<void> {
  const store = new SqliteStore({ path: ":memory:", pollIntervalMs: 10 });
  const client = new Client({ store });
  const worker = new Worker({ store, tasks: [ok, broken], idleWaitMs: 20, logger, maintenance: { intervalMs: 20 } });
  open.push(() => store.close(), () => worker.stop({ gracePeriodMs: 0 }));
  await worker.start();
  const a = await client.enqueue(ok, {});
  const b = await client.enqueue(broken, {}, { maxAttempts: 2, backoff: { baseMs: 0, maxMs: 0, jitter: 0 } });
  await client.wait(a.id, { timeoutMs: 10_000 });
  await client.wait(b.id, { timeoutMs: 10_000 });
  await worker.stop();
}

function captured(): { stream: { write(line: string): boolean }; lines: () => string[] } {
  const chunks: string[] = [];
  return { stream: { write: (line: string) => chunks.push(line) > 0 }, lines: () => chunks.join("").split("\n").filter((l) => l !== "") };
}

describe("per-job log lines", () => {
  it("writes started, completed with its duration, retrying and failed with the code, as JSON", async () => {
    const out = captured();
    await runJobs(consoleLogger({ level: "debug", json: true, stream: out.stream }));
    const entries = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => String(e.msg).startsWith("job "));
    const summary = entries.map((e) => `${String(e.level)} ${String(e.msg)} ${String(e.task)} ${String(e.attempt)}`);
    expect(summary).toEqual([
      "debug job started ok_task 1",
      "info job completed ok_task 1",
      "debug job started broken_task 1",
      "warn job failed; retrying broken_task 1",
      "debug job started broken_task 2",
      "error job failed broken_task 2",
    ]);
    const completed = entries.find((e) => e.msg === "job completed");
    expect(completed).toMatchObject({ queue: "default", worker: expect.any(String) as unknown, job: expect.stringMatching(/^job_/) as unknown });
    expect(typeof completed?.durationMs).toBe("number");
    expect(entries.find((e) => e.msg === "job failed")).toMatchObject({ code: "TASK_ERROR", error: "boom", maxAttempts: 2 });
  });

  it("leaves out the levels below the logger's, and writes text lines", async () => {
    const out = captured();
    await runJobs(consoleLogger({ level: "warn", stream: out.stream }));
    const jobLines = out.lines().filter((l) => / job /.test(l));
    expect(jobLines).toHaveLength(2);
    expect(jobLines[0]).toMatch(/ WARN {2}job failed; retrying .*task=broken_task .*code=TASK_ERROR/);
    expect(jobLines[1]).toMatch(/ ERROR job failed .*attempt=2 .*code=TASK_ERROR/);
  });

  it("keeps every field through a pino logger", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    await runJobs(pino({ level: "info" }, destination));
    const entries = chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = entries.find((e) => e.msg === "job completed");
    expect(completed).toMatchObject({ level: 30, task: "ok_task", queue: "default", attempt: 1, worker: expect.any(String) as unknown });
    expect(typeof completed?.durationMs).toBe("number");
    expect(entries.find((e) => e.msg === "job failed")).toMatchObject({ level: 50, code: "TASK_ERROR", attempt: 2 });
    // Below pino's level: no debug lines were built.
    expect(entries.some((e) => e.msg === "job started")).toBe(false);
    expect(entries.find((e) => e.msg === "worker started")).toMatchObject({ queues: "default", concurrency: 1 });
  });
});
