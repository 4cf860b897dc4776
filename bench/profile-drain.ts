// Profiling aid (not part of the benchmark table): drains N jobs with one Caudex worker process
// on a private redis-server and prints Redis command statistics and CPU per job.
// Usage: node --import tsx bench/profile-drain.ts [jobs] [processes] [concurrency]
import { RedisServer } from "../test/support/redis-server.js";
import { RedisProbe } from "./redis-probe.js";
import { fill } from "./scenarios.js";
import { openProducer } from "./systems.js";
import { WorkerProcesses } from "./worker-processes.js";

const jobs = Number(process.argv[2] ?? 20000);
const processes = Number(process.argv[3] ?? 1);
const concurrency = Number(process.argv[4] ?? 50);
const server = await RedisServer.start({});
const probe = new RedisProbe(server.url);
try {
  for (let round = 0; round < 3; round++) {
    await probe.flush();
    const target = { system: "caudex" as const, location: server.url };
    const producer = await openProducer(target);
    await fill(producer, jobs);
    const workers = await WorkerProcesses.start(processes, { ...target, concurrency, recordLatency: false });
    await probe.resetCommandStats();
    const cpu0 = await probe.cpuSeconds();
    const t0 = performance.now();
    workers.go();
    while ((await producer.completed()) < jobs) await new Promise((r) => setTimeout(r, 5));
    const secs = (performance.now() - t0) / 1000;
    const cpu = ((await probe.cpuSeconds()) - cpu0) * 1e6 / jobs;
    const stats = await probe.commandStats();
    const results = await workers.stop();
    console.log(`round ${round}: ${Math.round(jobs / secs)} jobs/s; redis cpu ${cpu.toFixed(1)} µs/job; worker cpu ${(results.cpuMicros / jobs).toFixed(1)} µs/job`);
    if (round === 2) for (const [command, { calls, usec }] of stats) console.log(`  ${command}: calls/job ${(calls / jobs).toFixed(3)} usec/job ${(usec / jobs).toFixed(2)}`);
    await producer.close();
  }
} finally {
  await probe.close();
  await server.stop();
}
