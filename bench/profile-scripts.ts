// Profiling aid: Redis time of the claim and complete scripts per job (INFO commandstats),
// measured apart from any worker, on a private redis-server.
// Usage: node --import tsx bench/profile-scripts.ts [batch=25] [rounds=5]
import { Client } from "../src/core/client.js";
import { RedisStore } from "../src/stores/redis/redis-store.js";
import { RedisServer } from "../test/support/redis-server.js";
import { RedisProbe } from "./redis-probe.js";
import { PAYLOAD } from "./scenarios.js";
import { median } from "./stats.js";

const jobs = 20000;
const batch = Number(process.argv[2] ?? 25);
const rounds = Number(process.argv[3] ?? 5);
const claimFigures: number[] = [];
const completeFigures: number[] = [];
const server = await RedisServer.start({});
const probe = new RedisProbe(server.url);
const evalUsec = async (): Promise<number> => (await probe.commandStats()).get("evalsha")?.usec ?? 0;
try {
  for (let round = 0; round < rounds; round++) {
    await probe.flush();
    const store = await RedisStore.connect({ url: server.url, namespace: "bench" });
    const client = new Client({ store });
    for (let i = 0; i < jobs; i += 1000) await client.enqueueMany(Array.from({ length: 1000 }, () => ({ task: "noop", payload: PAYLOAD })));
    await probe.resetCommandStats();
    const claimed = [];
    for (let i = 0; i < jobs; i += batch) claimed.push(...(await store.claim({ queues: ["default"], worker: "w1", incarnation: "i1", limit: batch, leaseMs: 30000 })));
    const claimUs = await evalUsec();
    await probe.resetCommandStats();
    for (let i = 0; i < claimed.length; i += batch) await Promise.all(claimed.slice(i, i + batch).map((j) => store.complete({ jobId: j.id, token: j.leaseToken }, null)));
    const completeUs = await evalUsec();
    console.log(`round ${round}: claimed ${claimed.length}; claim ${(claimUs / jobs).toFixed(2)} µs/job, complete ${(completeUs / jobs).toFixed(2)} µs/job`);
    claimFigures.push(claimUs / jobs);
    completeFigures.push(completeUs / jobs);
    await store.close();
  }
  console.log(`median of ${rounds}: claim ${median(claimFigures).toFixed(2)} µs/job, complete ${median(completeFigures).toFixed(2)} µs/job`);
} finally {
  await probe.close();
  await server.stop();
}
