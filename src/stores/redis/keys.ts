// Key names of the Redis store: everything lives under `caudex:{<namespace>}:` so the hash tag
// puts a namespace in one Cluster slot. Lua scripts build per-job keys from the same prefix.
import { InvalidOptionsError } from "../../core/errors.js";
import type { JobStatus } from "../../core/job-states.js";

/** Namespace used when none is given. */
export const DEFAULT_NAMESPACE = "default";
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Builds every key and channel name of one namespace. */
export class RedisKeys {
  /** `caudex:{ns}:`; scripts receive it to build per-job keys (job:<id>, events:<id>, …). */
  readonly prefix: string;

  constructor(readonly namespace: string = DEFAULT_NAMESPACE) {
    if (!NAMESPACE.test(namespace)) throw new InvalidOptionsError(`Invalid Redis namespace "${namespace}": use letters, digits, _ . - (max 64)`);
    this.prefix = `caudex:{${namespace}}:`;
  }

  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }
  timeline(id: string): string {
    return `${this.prefix}events:${id}`;
  }
  /** Waiting jobs of a queue, head first: `redis-cli LLEN caudex:{ns}:queue:<name>` counts them. */
  queue(name: string): string {
    return `${this.prefix}queue:${name}`;
  }
  queues(): string {
    return `${this.prefix}queues`;
  }
  paused(): string {
    return `${this.prefix}paused`;
  }
  scheduled(): string {
    return `${this.prefix}scheduled`;
  }
  leases(): string {
    return `${this.prefix}leases`;
  }
  expiry(): string {
    return `${this.prefix}expiry`;
  }
  status(status: JobStatus): string {
    return `${this.prefix}status:${status}`;
  }
  /** One schedule's hash: its definition text, timing text, pause flag and fire times. */
  schedule(id: string): string {
    return `${this.prefix}schedule:${id}`;
  }
  /** Every schedule id, score 0: listings in id order. */
  schedules(): string {
    return `${this.prefix}schedules`;
  }
  /** The schedules that are not paused, scored by their next fire time. */
  schedulesDue(): string {
    return `${this.prefix}schedules-due`;
  }
  /** The ids of the jobs a schedule made (score 0, ordered by id), each kept as long as its job. */
  scheduleJobs(id: string): string {
    return `${this.prefix}schedule-jobs:${id}`;
  }
  idempotency(): string {
    return `${this.prefix}idem`;
  }
  counts(): string {
    return `${this.prefix}counts`;
  }
  workers(): string {
    return `${this.prefix}workers`;
  }
  workerBeats(): string {
    return `${this.prefix}worker-beats`;
  }
  stream(): string {
    return `${this.prefix}stream`;
  }
  /** Present (with a TTL) while some process watches events; scripts write the stream only then. */
  watching(): string {
    return `${this.prefix}watching`;
  }
  /** Held for a moment by the process running this moment's maintenance pass. */
  maintenanceTick(): string {
    return `${this.prefix}maintenance-tick`;
  }
  /** Pub/sub channel announcing that a queue went from empty to non-empty. */
  wakeChannel(): string {
    return `${this.prefix}wake`;
  }
  /** The channel of cancel notices to one worker name: the ids of its running jobs that were canceled (decision 0027). */
  cancelChannel(worker: string): string {
    return `${this.prefix}cancel:${worker}`;
  }
  /** The channels of hand-offs to standing workers, one per worker incarnation (see stand-hand-offs.ts). */
  handChannelPrefix(): string {
    return `${this.prefix}hand:`;
  }
  /** Limit settings (decision 0023): `<name>|<key>` (key '' for the name's default) → JSON. */
  limits(): string {
    return `${this.prefix}limits`;
  }
  /** The (name, key) pairs limit listings may show, `<name>\0<key>`, score 0. */
  limitIndex(): string {
    return `${this.prefix}limit-index`;
  }
  /** A signed-out dashboard session: a string (the session's expiry in ms) with a TTL to that expiry. */
  revokedSession(id: string): string {
    return `${this.prefix}revoked-session:${id}`;
  }
}
