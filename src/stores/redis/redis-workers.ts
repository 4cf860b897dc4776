// The worker registry of the Redis store: register (refusing a live namesake on this host),
// heartbeat, unregister and list the workers seen within a window.
import { WorkerNameTakenError } from "../../core/errors.js";
import type { WorkerInfo } from "../../core/job.js";
import { isLiveNamesake } from "../../core/worker-registry.js";
import { decodeWorker } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { ScriptStatus, scripts, type RedisConnection, type ScriptRunner } from "./scripts.js";

// A registry entry younger than this may belong to a live namesake (checked by pid on this host).
const LIVE_NAMESAKE_MS = 60_000;

/** What the registry borrows from its store: the connection, keys, script runner and clock. */
export interface RegistryDeps {
  redis: RedisConnection;
  keys: RedisKeys;
  run: ScriptRunner;
  call<T>(fn: () => Promise<T>): Promise<T>;
  now(): Promise<number>;
}

/** The registry operations of the Store contract, on Redis. */
export class RedisWorkers {
  constructor(private readonly d: RegistryDeps) {}

  async register(info: WorkerInfo, stallLimit: number): Promise<number> {
    const { keys: k, redis } = this.d;
    const [existing, beat] = await this.d.call(() => Promise.all([redis.hget(k.workers(), info.name), redis.zscore(k.workerBeats(), info.name)]));
    if (existing !== null && beat !== null && Number(beat) >= (await this.d.now()) - LIVE_NAMESAKE_MS) {
      const holder = JSON.parse(existing) as WorkerInfo;
      if (isLiveNamesake(holder, info)) throw new WorkerNameTakenError(info.name, holder.pid);
    }
    const reply = await this.d.run(scripts.registerWorker, { keys: { workers: k.workers(), workerBeats: k.workerBeats() }, argv: { name: info.name, incarnation: info.incarnation, info: JSON.stringify(info), stallLimit } });
    return Number(reply.data[0]);
  }

  async heartbeat(info: WorkerInfo): Promise<boolean> {
    const k = this.d.keys;
    const reply = await this.d.run(scripts.heartbeatWorker, { keys: { workers: k.workers(), workerBeats: k.workerBeats() }, argv: { name: info.name, incarnation: info.incarnation, info: JSON.stringify(info) } });
    return reply.status === ScriptStatus.Ok;
  }

  async unregister(name: string, incarnation: string): Promise<void> {
    const k = this.d.keys;
    await this.d.run(scripts.unregisterWorker, { keys: { workers: k.workers(), workerBeats: k.workerBeats() }, argv: { name, incarnation } });
  }

  async list(ttlMs: number): Promise<WorkerInfo[]> {
    const { keys: k, redis } = this.d;
    const since = (await this.d.now()) - ttlMs;
    const beats = await this.d.call(() => redis.zrangebyscore(k.workerBeats(), since, "+inf", "WITHSCORES"));
    if (beats.length === 0) return [];
    const names = beats.filter((_, i) => i % 2 === 0);
    const infos = await this.d.call(() => redis.hmget(k.workers(), ...names));
    return names
      .flatMap((name, i) => (infos[i] == null ? [] : [decodeWorker(infos[i], Number(beats[i * 2 + 1]))]))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
