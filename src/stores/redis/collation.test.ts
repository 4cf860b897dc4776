// A Redis server running under a non-C locale: Redis sets LC_COLLATE from its environment, and
// Lua then compares strings with strcoll ('a' < 'B' under en_US.UTF-8), while sorted sets order
// members by bytes. The QUEUED index and listings must still agree with byte order.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJob } from "../../../test/support/jobs.js";
import { RedisServer, redisServerAvailable } from "../../../test/support/redis-server.js";
import { RedisStore } from "./redis-store.js";

/** Builds en_US.UTF-8 into a temp dir (for LOCPATH); null when the locale sources are missing. */
function buildLocale(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "caudex-locale-"));
  spawnSync("localedef", ["-i", "en_US", "-f", "UTF-8", join(dir, "en_US.UTF-8")], { stdio: "ignore" });
  if (existsSync(join(dir, "en_US.UTF-8"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  if (process.env.CI === "true") throw new Error("localedef could not build en_US.UTF-8 under CI=true (install the locales package)");
  return null;
}

const available = redisServerAvailable();
const localeDir = available ? buildLocale() : null;
let server: RedisServer;

describe.skipIf(localeDir === null)("redis store on a server with en_US.UTF-8 collation", () => {
  beforeAll(async () => {
    server = await RedisServer.start({ env: { LOCPATH: localeDir ?? "", LC_ALL: "en_US.UTF-8" } });
    const admin = new Redis(server.url);
    // The premise: this server's Lua does not compare strings by bytes.
    expect(await admin.eval("return tostring('a' < 'B')", 0)).toBe("true");
    admin.disconnect();
  });
  afterAll(async () => {
    await server.stop();
    if (localeDir !== null) rmSync(localeDir, { recursive: true, force: true });
  });

  it("finds, lists in byte order and claims jobs whose ids mix cases, punctuation and prefixes", async () => {
    const store = await RedisStore.connect({ url: server.url, namespace: "collation" });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 400; i++) ids.push(`${["order", "Order", "ORDER", "order-", "order_", "o"][i % 6]}${(i * 37) % 400}${i % 3 === 0 ? "b" : "A"}`);
      ids.push("a", "B", "a-", "a_");
      const shuffled = [...ids].sort(() => Math.random() - 0.5);
      for (let i = 0; i < shuffled.length; i += 50) await store.enqueue(shuffled.slice(i, i + 50).map((id) => newJob({ id })));
      for (const id of ids) expect((await store.getJob(id))?.id, id).toBe(id);
      await expect(store.enqueue([newJob({ id: ids[7] ?? "" })])).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listJobs({ status: "QUEUED" }, 37, cursor);
        listed.push(...page.jobs.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      // JavaScript sorts these ASCII strings by code unit, which is byte order.
      expect(listed).toEqual([...ids].sort().reverse());
      await store.cancel(ids[9] ?? "");
      const claimed = await store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 1000, leaseMs: 60_000 });
      expect(claimed).toHaveLength(ids.length - 1);
      expect((await store.listJobs({ status: "QUEUED" }, 10, null)).jobs).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
