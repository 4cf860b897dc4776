// A listing whose filter matches little must not hold Redis for a long scan: each call of
// list.lua reads at most LIST_CALL_BUDGET index entries (counted with MONITOR, which shows the
// commands scripts run), the request stops after LIST_REQUEST_BUDGET with a cursor, and
// following the cursor finds what lies further.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { waitFor } from "../../../test/support/wait-for.js";
import { LIST_CALL_BUDGET, LIST_REQUEST_BUDGET } from "./redis-reads.js";
import { RedisStore } from "./redis-store.js";

const available = redisServerAvailable();

describe.skipIf(!available)("redis listing budget", () => {
  let server: RedisServer;
  let store: RedisStore;
  let oldest: string;
  const others = LIST_REQUEST_BUDGET + 300;

  beforeAll(async () => {
    server = await RedisServer.start();
    store = await RedisStore.connect({ url: server.url, namespace: "budget" });
    const first = newJob({ task: "rare" });
    oldest = first.id;
    await store.enqueue([first]);
    for (let i = 0; i < others; i += 1000) await store.enqueue(Array.from({ length: Math.min(1000, others - i) }, () => newJob({ task: "common" })));
  });
  afterAll(async () => {
    await store.close();
    await server.stop();
  });

  /** Runs `fn` under MONITOR; returns the commands each list.lua call ran, by call. */
  async function commandsPerCall(fn: () => Promise<unknown>): Promise<Array<Record<string, number>>> {
    const admin = new Redis(server.url);
    const monitor = await admin.monitor();
    const calls: Array<Record<string, number>> = [];
    let seen = 0;
    monitor.on("monitor", (_time: string, args: string[]) => {
      seen += 1;
      const name = String(args[0]).toLowerCase();
      if (name === "evalsha" || name === "eval") calls.push({});
      else if (name !== "ping") {
        const call = calls[calls.length - 1];
        if (call !== undefined) call[name] = (call[name] ?? 0) + 1;
      }
    });
    await fn();
    // MONITOR lines arrive on their own connection: the PING marks the end of ours.
    const before = seen;
    await store.health();
    await waitFor(() => seen > before, { what: "the monitor to catch up" });
    monitor.disconnect();
    admin.disconnect();
    return calls;
  }

  it("reads a few hundred entries per script call and answers a short page with a cursor when its budget is spent", async () => {
    let first: Awaited<ReturnType<RedisStore["listJobs"]>> | undefined;
    const calls = await commandsPerCall(async () => {
      first = await store.listJobs({ task: "rare" }, 50, null);
    });
    expect(first?.jobs).toEqual([]);
    expect(first?.nextCursor).not.toBeNull();
    // (One script call reads the cursor's job; the others are list.lua.)
    const lists = calls.filter((c) => (c.hmget ?? 0) > 0);
    expect(lists).toHaveLength(LIST_REQUEST_BUDGET / LIST_CALL_BUDGET);
    for (const call of lists) expect(call.hmget).toBeLessThanOrEqual(LIST_CALL_BUDGET);
    // Following the cursor reaches the rest, and the job at the end of it.
    const rest = await store.listJobs({ task: "rare" }, 50, first?.nextCursor ?? null);
    expect(rest).toEqual({ jobs: [expect.objectContaining({ id: oldest })], nextCursor: null });
  });

  it("fills a page of common jobs in as many calls as it takes", async () => {
    const page = await store.listJobs({ task: "common" }, 500, null);
    expect(page.jobs).toHaveLength(500);
    expect(page.nextCursor).toBe(page.jobs[499]?.id);
    const ids = page.jobs.map((j) => j.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(new Set(ids).size).toBe(500);
  });
});
