// The context a running job's task receives: what it exposes, made on first use, and nothing
// of the worker through it.
import { describe, expect, it } from "vitest";
import { CaudexError, LeaseLostError } from "./errors.js";
import type { ClaimedJob, Json } from "./job.js";
import { silentLogger, type Logger } from "./logger.js";
import { RunningJob, RunningJobs } from "./running-job.js";

function claimed(id = "job_1"): ClaimedJob {
  return {
    id, task: "report", queue: "high", payload: { n: 1 }, status: "PROCESSING", attempt: 2, maxAttempts: 5, timeoutMs: 1000,
    backoff: { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0 }, retryOnTimeout: false, createdAt: 1, enqueuedAt: 1, startedAt: 2, completedAt: null,
    runAt: null, progress: null, result: null, error: null, worker: "w", meta: { projectId: "p" }, idempotencyKey: null, stalls: 0,
    retries: 0, scheduleId: null, fireAt: null, resultTtlSeconds: 0, failureTtlSeconds: 0, leaseToken: "tok", leaseExpiresAt: 3,
    dependsOn: [], onDependencyFailure: "fail", dependencies: null, dependents: 0, parentId: null, flowId: null,
    limitKeys: [], postponements: 0,
  };
}

describe("RunningJob.context", () => {
  it("gives the job's fields and reports progress under its lease, also when destructured", async () => {
    const entry = new RunningJob(claimed(), 0);
    const reports: Array<[string, string, Json]> = [];
    const { job, progress } = entry.context(silentLogger, async (j, value) => void reports.push([j.id, j.leaseToken, value]));
    expect(job).toEqual({ id: "job_1", attempt: 2, maxAttempts: 5, queue: "high", meta: { projectId: "p" } });
    await progress({ percent: 50 });
    expect(reports).toEqual([["job_1", "tok", { percent: 50 }]]);
  });

  it("refuses progress with LEASE_LOST once the job is settled", async () => {
    const entry = new RunningJob(claimed(), 0);
    const ctx = entry.context(silentLogger, async () => undefined);
    entry.done = true;
    await expect(ctx.progress(1)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("counts its timeout from the start time it is given", () => {
    expect(new RunningJob(claimed(), 5000).deadline).toBe(6000);
  });

  it("aborts its signal with the reason, also when the signal is first read after the abort", () => {
    const early = new RunningJob(claimed(), 0);
    const earlySignal = early.context(silentLogger, async () => undefined).signal;
    const reason = new CaudexError("TIMEOUT", "late");
    early.abort(reason);
    expect(earlySignal.aborted).toBe(true);
    const late = new RunningJob(claimed(), 0);
    const ctx = late.context(silentLogger, async () => undefined);
    late.abort(reason);
    expect(ctx.signal.reason).toBe(reason);
  });

  it("makes the task's logger once, as a child naming the job and task", () => {
    const children: unknown[] = [];
    const parent: Logger = { ...silentLogger, child: (fields) => (children.push(fields), silentLogger) };
    const ctx = new RunningJob(claimed(), 0).context(parent, async () => undefined);
    expect(ctx.log).toBe(ctx.log);
    expect(children).toEqual([{ job: "job_1", task: "report" }]);
  });

  it("shows nothing of the worker through its own properties", () => {
    const ctx = new RunningJob(claimed(), 0).context(silentLogger, async () => undefined);
    expect(Object.keys(ctx)).toEqual([]);
    expect(JSON.stringify(ctx)).toBe("{}");
  });

  it("serves objects built on it: Object.create and a Proxy read its fields", () => {
    const ctx = new RunningJob(claimed(), 0).context(silentLogger, async () => undefined);
    const derived = Object.create(ctx) as typeof ctx;
    expect(derived.job.id).toBe("job_1");
    expect(new Proxy(ctx, {}).job.queue).toBe("high");
    expect(derived.signal.aborted).toBe(false);
  });
});

describe("RunningJobs", () => {
  it("keeps running jobs by id, whatever the id looks like", () => {
    const running = new RunningJobs();
    const ids = ["job_1", "__proto__", "123", "constructor", "toString"];
    for (const id of ids) running.add(new RunningJob(claimed(id), 0));
    running.add(new RunningJob(claimed("job_1"), 0));
    expect(running.size).toBe(5);
    expect(running.ids().sort()).toEqual([...ids].sort());
    expect(running.get("__proto__")?.job.id).toBe("__proto__");
    expect(running.get("missing")).toBeUndefined();
    running.delete("constructor");
    expect(running.get("constructor")).toBeUndefined();
    expect(running.size).toBe(4);
    // Forgetting a job that is not running changes nothing.
    running.delete("constructor");
    running.delete("missing");
    expect(running.size).toBe(4);
    expect(running.list().map((entry) => entry.job.id).sort()).toEqual(["123", "__proto__", "job_1", "toString"]);
    running.clear();
    expect(running.size).toBe(0);
    expect(running.ids()).toEqual([]);
  });
});
