// Client validation and defaults, on a real in-memory SQLite store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "./client.js";
import { JOB_BOUNDS } from "./job-rules.js";

const { maxEnqueueBatch: MAX_ENQUEUE_BATCH, maxEnqueueBatchBytes: MAX_ENQUEUE_BATCH_BYTES, maxListLimit: MAX_LIST_LIMIT } = JOB_BOUNDS;
import { defineTask } from "./task.js";

const wiki = defineTask<{ projectId: string }, string>("generate_wiki", (p) => p.projectId, {
  queue: "default",
  maxAttempts: 5,
  timeoutMs: 1234,
});

describe("Client", () => {
  let store: SqliteStore;
  let client: Client;
  beforeEach(() => {
    store = new SqliteStore({ path: ":memory:" });
    client = new Client({ store, defaults: { resultTtlSeconds: 60 } });
  });
  afterEach(() => store.close());

  it("applies task options, then client defaults, with enqueue options winning", async () => {
    const job = await client.enqueue(wiki, { projectId: "42" }, { timeoutMs: 999 });
    expect(job).toMatchObject({ queue: "default", maxAttempts: 5, timeoutMs: 999, resultTtlSeconds: 60, failureTtlSeconds: 604_800 });
  });

  it("rejects bad options with INVALID_OPTIONS and stores nothing", async () => {
    const bad = [
      { queue: "no spaces" },
      { maxAttempts: 0 },
      { timeoutMs: -1 },
      { delayMs: 10, runAt: Date.now() },
      { idempotencyKey: "" },
      { meta: { projectId: 42 as unknown as string } },
      { backoff: { factor: 0.1 } },
      { backoff: { maxMs: 1e300 } },
      { runAt: 1e20 },
      { runAt: -1 },
      { delayMs: 11 * 365 * 86400_000 },
      { idempotencyKey: 12345 as unknown as string },
      { retryOnTimeout: "yes" as unknown as boolean },
    ];
    for (const options of bad) {
      await expect(client.enqueue(wiki, { projectId: "1" }, options)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    }
    expect((await client.listJobs()).jobs).toHaveLength(0);
  });

  it("rejects payloads that are not plain JSON or too deep", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    for (const payload of [deep, { f: () => 1 }, { n: Number.NaN }, new Map(), { big: 10n }]) {
      await expect(client.enqueue("x", payload)).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    }
    await expect(client.enqueue("x", "a".repeat(2 * 1024 * 1024))).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("validates task names, and known tasks when given a registry", async () => {
    await expect(client.enqueue("bad name!", {})).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    const strict = new Client({ store, tasks: [wiki] });
    await expect(strict.enqueue("unknown_task", {})).rejects.toMatchObject({ code: "UNKNOWN_TASK" });
    expect((await strict.enqueue("generate_wiki", { projectId: "1" })).task).toBe("generate_wiki");
  });

  it("dedupes by idempotency key and says whether the job was created", async () => {
    const first = await client.enqueueWithResult(wiki, { projectId: "1" }, { idempotencyKey: "k" });
    const second = await client.enqueueWithResult(wiki, { projectId: "2" }, { idempotencyKey: "k" });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, job: { id: first.job.id, payload: { projectId: "1" } } });
  });

  it("supports the two-step flow: create PENDING, enqueue later", async () => {
    const job = await client.create(wiki, { projectId: "1" });
    expect(job.status).toBe("PENDING");
    expect((await client.enqueuePending(job.id)).status).toBe("QUEUED");
  });

  it("takes up to MAX_ENQUEUE_BATCH jobs in one enqueueMany and refuses a larger batch whole", async () => {
    const batch = (size: number) => Array.from({ length: size }, (_, i) => ({ task: wiki, payload: { projectId: String(i) } }));
    // Refused before any job is checked: the first one here is invalid too.
    const refused = client.enqueueMany([{ task: "bad name!", payload: { projectId: "0" } }, ...batch(MAX_ENQUEUE_BATCH)]);
    await expect(refused).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(refused).rejects.toThrow(/at most 10000 jobs per call \(got 10001\)/);
    expect((await client.listJobs()).jobs).toHaveLength(0);
    expect(await client.enqueueMany(batch(MAX_ENQUEUE_BATCH))).toHaveLength(MAX_ENQUEUE_BATCH);
  });

  it("refuses an enqueueMany batch with more than MAX_ENQUEUE_BATCH_BYTES of payloads whole", async () => {
    const big = "é".repeat(500_000); // 1,000,002 bytes of JSON each, 500,002 characters
    const count = Math.floor(MAX_ENQUEUE_BATCH_BYTES / 1_000_002) + 1;
    const refused = client.enqueueMany(Array.from({ length: count }, () => ({ task: "x", payload: big })));
    await expect(refused).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(refused).rejects.toThrow(/at most 67108864 bytes of payloads per call/);
    expect((await client.listJobs()).jobs).toHaveLength(0);
    expect(await client.enqueueMany(Array.from({ length: count - 1 }, () => ({ task: "x", payload: big })))).toHaveLength(count - 1);
  });

  it("checks a job as enqueue would and stores nothing", async () => {
    await expect(client.check(wiki, { projectId: "1" }, { queue: "no spaces" })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(client.check("x", { n: Number.NaN })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    await expect(client.check(wiki, { projectId: "1" })).resolves.toBeUndefined();
    expect((await client.listJobs()).jobs).toHaveLength(0);
  });

  it("caps list limits at MAX_LIST_LIMIT and at least 1", async () => {
    await client.enqueueMany(Array.from({ length: 3 }, () => ({ task: wiki, payload: { projectId: "1" } })));
    const asked: number[] = [];
    const listJobs = store.listJobs.bind(store);
    store.listJobs = (filter, limit, cursor) => (asked.push(limit), listJobs(filter, limit, cursor));
    expect((await client.listJobs({}, { limit: 100_000 })).jobs).toHaveLength(3);
    expect((await client.listJobs({}, { limit: 0 })).jobs).toHaveLength(1);
    expect((await client.listJobs({}, { limit: 2 })).nextCursor).not.toBeNull();
    expect(asked).toEqual([MAX_LIST_LIMIT, 1, 2]);
  });

  it("gives up waiting with WAIT_TIMEOUT and leaves the job alone", async () => {
    const job = await client.enqueue(wiki, { projectId: "1" });
    await expect(client.wait(job.id, { timeoutMs: 30 })).rejects.toMatchObject({ code: "WAIT_TIMEOUT" });
    expect((await client.getJob(job.id))?.status).toBe("QUEUED");
  });

  it("throws JOB_NOT_FOUND from requireJob and wait for unknown ids", async () => {
    await expect(client.requireJob("job_nope")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
    await expect(client.wait("job_nope")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });
});
