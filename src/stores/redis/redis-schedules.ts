// Schedules in the Redis store: a hash per schedule, an id index for listings and a due index
// by next fire time (docs/redis.md). Each change is one Lua script; fires and triggers make
// their jobs with the general enqueue's Lua (includes/enqueue.lua). Timing is the core's.
import { InvalidOptionsError, ScheduleNotFoundError } from "../../core/errors.js";
import type { Job, NewJob } from "../../core/job.js";
import { checkScheduleCursor } from "../../core/listing-cursor.js";
import type { CatchUp, Overlap, Schedule, ScheduleJobSpec, ScheduleTiming } from "../../core/schedule.js";
import type { DueSchedules, FireScheduleRequest, ScheduleCounts, FireScheduleResult, SchedulePage, UpsertOutcome, UpsertScheduleRequest } from "../../core/store.js";
import { decodeEnqueued, enqueueArgs, hashFields } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { checkStorable } from "./redis-enqueue.js";
import { ScriptStatus, scripts, type RedisConnection, type ScriptReply, type ScriptRunner } from "./scripts.js";

/** What the schedule operations borrow from their store. */
export interface ScheduleDeps {
  redis: RedisConnection;
  keys: RedisKeys;
  run: ScriptRunner;
  call<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether this process runs this moment's maintenance (the store's MaintenanceWindow; always true with a test clock). */
  inWindow(): Promise<boolean>;
}

/** The definition text's content (NewSchedule less its two texts). */
interface StoredDefinition {
  id: string;
  timing: ScheduleTiming;
  job: ScheduleJobSpec;
  catchUp: CatchUp;
  overlap: Overlap;
}

function num(value: string | undefined): number | null {
  return value === undefined || value === "" ? null : Number(value);
}

/** A schedule from its hash fields (see includes/schedules.lua), or null for an empty hash. */
export function decodeSchedule(f: Map<string, string>): Schedule | null {
  const definitionText = f.get("def");
  if (definitionText === undefined) return null;
  const { id, timing, job, catchUp, overlap } = JSON.parse(definitionText) as StoredDefinition;
  return {
    id, timing, job, catchUp, overlap, definitionText,
    timingText: f.get("timing") ?? "",
    paused: f.get("paused") === "1",
    nextFireAt: num(f.get("next")),
    lastFireAt: num(f.get("last")),
    lastJobId: f.get("lastjob") ?? null,
    anchorAt: num(f.get("anchor")) ?? 0,
    createdAt: num(f.get("created")) ?? 0,
    updatedAt: num(f.get("updated")) ?? 0,
  };
}

function scheduleOf(scheduleId: string, flat: unknown): Schedule {
  const schedule = decodeSchedule(hashFields(flat));
  if (schedule === null) throw new ScheduleNotFoundError(scheduleId);
  return schedule;
}

/** The Store's schedule operations on Redis. */
export class RedisSchedules {
  constructor(private readonly d: ScheduleDeps) {}

  async upsert(request: UpsertScheduleRequest): Promise<{ schedule: Schedule; outcome: UpsertOutcome }> {
    const { schedule: s, now, nextFireAt } = request;
    const k = this.d.keys;
    const reply = await this.d.run(scripts.upsertSchedule, {
      keys: { schedule: k.schedule(s.id), schedules: k.schedules(), due: k.schedulesDue() },
      argv: { scheduleId: s.id, definitionText: s.definitionText, timingText: s.timingText, at: now, nextFireAt },
    });
    return { outcome: reply.data[0] as UpsertOutcome, schedule: scheduleOf(s.id, reply.data[1]) };
  }

  async get(scheduleId: string): Promise<Schedule | null> {
    const fields = await this.d.call(() => this.d.redis.hgetall(this.d.keys.schedule(scheduleId)));
    return decodeSchedule(new Map(Object.entries(fields)));
  }

  /** A page in id order after `cursor`, the last id of the previous page (INVALID_CURSOR when no schedule id could be it). */
  async list(limit: number, cursor: string | null): Promise<SchedulePage> {
    if (cursor !== null) checkScheduleCursor(cursor);
    const reply = await this.d.run(scripts.listSchedules, { keys: { schedules: this.d.keys.schedules() }, argv: { limit, cursor: cursor ?? "" } });
    const [next, ...entries] = reply.data as [string, ...Array<[string, unknown]>];
    return { schedules: entries.map(([id, flat]) => scheduleOf(id, flat)), nextCursor: next === "" ? null : next };
  }

  async remove(scheduleId: string): Promise<void> {
    const k = this.d.keys;
    const reply = await this.d.run(scripts.removeSchedule, { keys: { schedule: k.schedule(scheduleId), schedules: k.schedules(), due: k.schedulesDue() }, argv: { scheduleId } });
    if (reply.status === ScriptStatus.NotFound) throw new ScheduleNotFoundError(scheduleId);
  }

  async pause(scheduleId: string): Promise<Schedule> {
    const k = this.d.keys;
    return this.found(scheduleId, await this.d.run(scripts.pauseSchedule, { keys: { schedule: k.schedule(scheduleId), due: k.schedulesDue() }, argv: { scheduleId } }));
  }

  async resume(scheduleId: string, now: number, nextFireAt: number, expectedTimingText: string): Promise<Schedule> {
    const k = this.d.keys;
    const reply = await this.d.run(scripts.resumeSchedule, { keys: { schedule: k.schedule(scheduleId), due: k.schedulesDue() }, argv: { scheduleId, at: now, nextFireAt, expectedTimingText } });
    return this.found(scheduleId, reply);
  }

  /** Store.scheduleCounts: ZCARD of every id and of the running ones, ZCOUNT of those due, in one pipeline. */
  async counts(dueBefore: number): Promise<ScheduleCounts> {
    const { redis, keys } = this.d;
    const replies = await this.d.call(async () => (await redis.pipeline().zcard(keys.schedules()).zcard(keys.schedulesDue()).zcount(keys.schedulesDue(), "-inf", dueBefore).exec()) ?? []);
    const [total, running, overdue] = replies.map(([error, value]) => {
      if (error !== null) throw error;
      return Number(value);
    });
    return { total: total ?? 0, paused: (total ?? 0) - (running ?? 0), overdue: overdue ?? 0 };
  }

  /**
   * Due schedules: one ZRANGEBYSCORE of the due index (all an idle tick costs, however many
   * schedules there are), then the hashes in one pipeline. Not atomic, so a schedule paused,
   * removed or fired in between is left out. As promoteDue, only the process that runs this
   * moment's maintenance reads them and the clock (the others answer none: their fires would
   * lose the compare-and-set anyway).
   */
  async due(limit: number, clock: () => Promise<number>): Promise<DueSchedules> {
    if (limit <= 0 || !(await this.d.inWindow())) return { now: null, schedules: [] };
    const now = await clock();
    return { now, schedules: await this.dueAt(now, limit) };
  }

  private async dueAt(now: number, limit: number): Promise<Schedule[]> {
    const { redis, keys } = this.d;
    const ids = await this.d.call(() => redis.zrangebyscore(keys.schedulesDue(), "-inf", now, "LIMIT", 0, limit));
    if (ids.length === 0) return [];
    const hashes = await this.d.call(async () => {
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.schedule(id));
      return ((await pipeline.exec()) ?? []).map(([error, fields]) => {
        if (error !== null) throw error;
        return fields as Record<string, string>;
      });
    });
    const due: Schedule[] = [];
    for (const fields of hashes) {
      const schedule = decodeSchedule(new Map(Object.entries(fields)));
      if (schedule !== null && !schedule.paused && schedule.nextFireAt !== null && schedule.nextFireAt <= now) due.push(schedule);
    }
    return due;
  }

  async fire(request: FireScheduleRequest): Promise<FireScheduleResult> {
    const jobs = request.fires.map((fire) => fire.job);
    const rest: string[] = [];
    for (const job of jobs) {
      checkStorable(job);
      enqueueArgs(job, rest);
    }
    const k = this.d.keys;
    const reply = await this.d.run(scripts.fireSchedule, {
      keys: { schedule: k.schedule(request.scheduleId), due: k.schedulesDue(), idempotency: k.idempotency() },
      argv: {
        scheduleId: request.scheduleId,
        expectedNextFireAt: request.expectedNextFireAt,
        expectedDefinitionText: request.expectedDefinitionText,
        lastFireAt: request.lastFireAt,
        nextFireAt: request.nextFireAt,
        overlap: request.overlap,
        count: jobs.length,
      },
      rest,
    });
    duplicateCheck(reply);
    const [fired, skipped, first, now, ...codes] = reply.data as [number, number, number, number, ...unknown[]];
    if (Number(fired) !== 1) return { fired: false, jobs: [], skipped: 0 };
    const made: Job[] = [];
    codes.forEach((code, i) => {
      const result = decodeEnqueued(jobs[Number(first) + i] as NewJob, code, Number(now));
      if (result.created) made.push(result.job);
    });
    return { fired: true, jobs: made, skipped: Number(skipped) };
  }

  async trigger(scheduleId: string, job: NewJob): Promise<Job> {
    checkStorable(job);
    const rest: string[] = [];
    enqueueArgs(job, rest);
    const k = this.d.keys;
    const reply = await this.d.run(scripts.triggerSchedule, { keys: { schedule: k.schedule(scheduleId), idempotency: k.idempotency() }, argv: { scheduleId }, rest });
    if (reply.status === ScriptStatus.NotFound) throw new ScheduleNotFoundError(scheduleId);
    duplicateCheck(reply);
    return decodeEnqueued(job, reply.data[1], Number(reply.data[0])).job;
  }

  private found(scheduleId: string, reply: ScriptReply): Schedule {
    if (reply.status === ScriptStatus.NotFound) throw new ScheduleNotFoundError(scheduleId);
    return scheduleOf(scheduleId, reply.data[0]);
  }
}

function duplicateCheck(reply: ScriptReply): void {
  if (reply.status === ScriptStatus.Duplicate) throw new InvalidOptionsError(`A job with id ${String(reply.data[0])} already exists`);
}
