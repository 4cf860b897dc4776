// Redis: what a listing whose filter matches nothing costs everyone else. On a private
// redis-server with 5,300 waiting jobs, it compares one list.lua call reading 5,000 index
// entries (the listing before budgets per call) with a listing request now (calls of 250 entries):
// the longest single script call (SLOWLOG), and PING latency while 4 clients loop the listing.
// Never part of npm test. Run: node --import tsx bench/redis-listing.ts [--seconds N]
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { RedisServer } from "../test/support/redis-server.js";
import { newJob } from "../test/support/jobs.js";
import { LIST_REQUEST_BUDGET } from "../src/stores/redis/redis-reads.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { scripts } from "../src/stores/redis/scripts.js";
import { machineReport } from "./machine.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const seconds = Number(values.seconds);
const server = await RedisServer.start();
const store = await RedisStore.connect({ url: server.url, namespace: "bench" });
const admin = new Redis(server.url);
const jobs = LIST_REQUEST_BUDGET + 300;
for (let i = 0; i < jobs; i += 1000) await store.enqueue(Array.from({ length: Math.min(1000, jobs - i) }, () => newJob({ task: "common" })));

/** The listing as it was: one call of list.lua with the whole budget. */
const before = (redis: Redis): Promise<unknown> =>
  scripts.list.run(redis, { prefix: store.keys.prefix, now: "" }, {
    keys: { anchor: store.keys.queues() },
    argv: { limit: 50, cursor: "", budget: LIST_REQUEST_BUDGET, status: "", queue: "", task: "rare", project: "", user: "", schedule: "" },
  });
const after = (): Promise<unknown> => store.listJobs({ task: "rare" }, 50, null);

// The script calls of one listing (INFO commandstats), and the longest of them (SLOWLOG: from
// 0.5 ms, since Redis 7 also logs each command a script runs, which take microseconds).
async function longestCall(fn: () => Promise<unknown>): Promise<{ maxUs: number; calls: number }> {
  const scriptCalls = async (): Promise<number> => {
    const info = await admin.info("commandstats");
    return ["evalsha", "eval"].reduce((sum, name) => sum + Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0), 0);
  };
  await fn();
  await admin.config("SET", "slowlog-log-slower-than", "500");
  await admin.slowlog("RESET");
  const callsBefore = await scriptCalls();
  for (let i = 0; i < 5; i++) await fn();
  const calls = ((await scriptCalls()) - callsBefore) / 5;
  const entries = (await admin.slowlog("GET", 1000)) as Array<[number, number, number, string[]]>;
  const scriptsRun = entries.filter((e) => /^eval/i.test(String(e[3][0])));
  await admin.config("SET", "slowlog-log-slower-than", "10000");
  return { maxUs: Math.max(0, ...scriptsRun.map((e) => Number(e[2]))), calls };
}

async function pingUnderLoad(loop: (redis: Redis) => Promise<unknown>): Promise<{ p50: number; p99: number; listings: number }> {
  const clients = Array.from({ length: 4 }, () => new Redis(server.url));
  let stop = false;
  let listings = 0;
  const loops = clients.map(async (c) => {
    while (!stop) {
      await loop(c);
      listings += 1;
    }
  });
  const pings: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    await admin.ping();
    pings.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, 20));
  }
  stop = true;
  await Promise.all(loops);
  for (const c of clients) c.disconnect();
  return { p50: percentile(pings, 50), p99: percentile(pings, 99), listings: listings / seconds };
}

// Each looping client of "after" runs its own store's listing, as separate API servers would.
const stores = await Promise.all(Array.from({ length: 4 }, () => RedisStore.connect({ url: server.url, namespace: "bench" })));
let turn = 0;
const afterOnOwn = (): Promise<unknown> => (stores[turn++ % 4] as RedisStore).listJobs({ task: "rare" }, 50, null);

const rows: string[] = [];
const b = await longestCall(() => before(admin));
const a = await longestCall(after);
const idle = await pingUnderLoad(async () => new Promise((r) => setTimeout(r, 50)));
const pb = await pingUnderLoad(before);
const pa = await pingUnderLoad(afterOnOwn);
rows.push(`| longest script call, ms (script calls per listing) | ${(b.maxUs / 1000).toFixed(1)} (${b.calls}) | ${(a.maxUs / 1000).toFixed(1)} (${a.calls}) |`);
rows.push(`| PING p50 / p99, ms, 4 clients looping the listing (idle: ${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)}) | ${pb.p50.toFixed(1)} / ${pb.p99.toFixed(1)} | ${pa.p50.toFixed(1)} / ${pa.p99.toFixed(1)} |`);
rows.push(`| listings per second, the 4 clients together | ${pb.listings.toFixed(1)} | ${pa.listings.toFixed(1)} |`);
console.log(`\n${machineReport()}\n- command: \`node --import tsx bench/redis-listing.ts --seconds ${seconds}\`; ${jobs.toLocaleString("en")} waiting jobs, none matching\n`);
console.log("| listing of a filter that matches nothing | one call, 5,000 entries (before) | calls of 250 (now) |\n|---|---:|---:|");
for (const row of rows) console.log(row);
for (const s of stores) await s.close();
await store.close();
admin.disconnect();
await server.stop();
