// Per-key limit soak (`npm run chaos:limits`): on one Redis and one SQLite file, 3 worker
// processes at concurrency 20; a tenant enqueues 20,000 jobs and nine tenants 20 each, at most 2
// running per tenant, sampled every 20 ms; one worker is SIGKILLed; then a task rated at 10 starts
// a second (burst 2) runs for 60 s. Prints the figures; exits 1 on a breach.
// Flags: --stores redis,sqlite, --seconds N (rate run, default 60).
import { parseArgs } from "node:util";
import { runFairness, runRate, type LimitSoakStore } from "../test/support/limit-soak.js";

const { values } = parseArgs({ options: { stores: { type: "string" }, seconds: { type: "string" } } });
const stores = (values.stores ?? "redis,sqlite").split(",") as LimitSoakStore[];
let ok = true;
for (const kind of stores) {
  const fair = await runFairness(kind, { bigJobs: 20_000, smallTenants: 9, smallJobs: 20, perProject: 2, workers: 3, concurrency: 20, taskMs: 50, leaseMs: 3000, timeoutMs: 300_000 });
  const most = Math.max(...Object.values(fair.mostRunning));
  const good = most <= 2 && fair.bigWaitingWhenSmallDone > 10_000 && fair.slotMismatches.length === 0 && fair.leakedKeys.length === 0;
  ok &&= good;
  console.log(
    `${kind.padEnd(6)} fairness: ${fair.samples} samples, most running of one key ${most} (limit 2); small tenants done with ${fair.bigWaitingWhenSmallDone} of the big one's 20,000 waiting; ` +
      `small wait p50 ${fair.smallWaitP50Ms} ms, p99 ${fair.smallWaitP99Ms} ms; slots back ${fair.recoveredMs} ms after a SIGKILL (lease 3,000 ms); ` +
      `mismatches ${fair.slotMismatches.length}, leaked ${fair.leakedKeys.length} ${good ? "OK" : "FAIL"}`,
  );
  const rate = await runRate(kind, { seconds: Number(values.seconds ?? 60), rate: 10, periodMs: 1000, burst: 2, workers: 3 });
  const rateGood = rate.mostInAWindow <= rate.allowed;
  ok &&= rateGood;
  console.log(`${kind.padEnd(6)} rate: ${rate.started} starts in ${rate.seconds} s (${(rate.started / rate.seconds).toFixed(1)}/s), most in any 1 s window ${rate.mostInAWindow} (allowed ${rate.allowed}) ${rateGood ? "OK" : "FAIL"}`);
}
process.exit(ok ? 0 : 1);
