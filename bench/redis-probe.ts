// Reads a benchmark Redis from the outside: memory, CPU and command counters from INFO, and
// the flush between runs. Uses its own connection so the systems under test are untouched.
import { Redis } from "ioredis";

/** Per-command call counts from `INFO commandstats`. */
export type CommandCounts = Map<string, number>;

/** Per-command calls and microseconds from `INFO commandstats`. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

/** CPU seconds (user + sys) Redis has used so far, from `INFO cpu`. */
export interface RedisCpu {
  seconds: number;
}

/** A probe connection to one benchmark Redis. */
export class RedisProbe {
  readonly redis: Redis;

  constructor(readonly url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  }

  async flush(): Promise<void> {
    await this.redis.flushall();
    await this.redis.call("MEMORY", "PURGE");
  }

  async usedMemory(): Promise<number> {
    return infoNumber(await this.redis.info("memory"), "used_memory");
  }

  async cpuSeconds(): Promise<number> {
    const info = await this.redis.info("cpu");
    return infoNumber(info, "used_cpu_sys") + infoNumber(info, "used_cpu_user");
  }

  async resetCommandStats(): Promise<void> {
    await this.redis.config("RESETSTAT");
  }

  async commandStats(): Promise<CommandStats> {
    const stats: CommandStats = new Map();
    for (const line of (await this.redis.info("commandstats")).split("\r\n")) {
      const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
      if (match?.[1] !== undefined) stats.set(match[1], { calls: Number(match[2]), usec: Number(match[3]) });
    }
    return stats;
  }

  async commandCounts(): Promise<CommandCounts> {
    return new Map([...(await this.commandStats())].map(([command, { calls }]) => [command, calls]));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

function infoNumber(info: string, field: string): number {
  const match = new RegExp(`^${field}:([\\d.]+)`, "m").exec(info);
  return match?.[1] === undefined ? NaN : Number(match[1]);
}
