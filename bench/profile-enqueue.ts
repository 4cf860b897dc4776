// Profiling aid: producer CPU and Redis script time per awaited enqueue, Caudex and BullMQ.
import { RedisServer } from "../test/support/redis-server.js";
import { RedisProbe } from "./redis-probe.js";
import { PAYLOAD } from "./scenarios.js";
import { openProducer } from "./systems.js";

const jobs = Number(process.argv[2] ?? 10000);
const server = await RedisServer.start({});
const probe = new RedisProbe(server.url);
try {
  for (let round = 0; round < 3; round++) {
    for (const system of ["caudex", "bullmq"] as const) {
      await probe.flush();
      const producer = await openProducer({ system, location: server.url });
      for (let i = 0; i < 200; i++) await producer.enqueueOne(PAYLOAD);
      await probe.resetCommandStats();
      const cpu0 = process.cpuUsage();
      const rcpu0 = await probe.cpuSeconds();
      const t0 = performance.now();
      for (let i = 0; i < jobs; i++) await producer.enqueueOne(PAYLOAD);
      const us = ((performance.now() - t0) * 1000) / jobs;
      const cpu = process.cpuUsage(cpu0);
      const rcpu = (((await probe.cpuSeconds()) - rcpu0) * 1e6) / jobs;
      const scriptUs = ((await probe.commandStats()).get("evalsha")?.usec ?? 0) / jobs;
      console.log(`${system} round ${round}: ${us.toFixed(1)} µs/enqueue wall, producer cpu ${((cpu.user + cpu.system) / jobs).toFixed(1)} µs, redis cpu ${rcpu.toFixed(1)} µs, script ${scriptUs.toFixed(1)} µs`);
      await producer.close();
    }
  }
} finally {
  await probe.close();
  await server.stop();
}
