// The enqueue paths of the Redis store (decision 0008): one plain job through enqueue-one.lua,
// batches of plain jobs through enqueue-plain.lua, anything else through enqueue.lua, each
// falling back to the next when it answers GENERAL (having stored nothing).
import { DependencyNotFoundError, InvalidOptionsError } from "../../core/errors.js";
import type { NewJob } from "../../core/job.js";
import { limitKeyProblems } from "../../core/limits.js";
import { newJobRecord } from "../../core/job-record.js";
import type { EnqueueResult } from "../../core/store.js";
import { decodeEnqueued, enqueueArgs, isPlain, plainEnqueueArgs } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { ScriptStatus, scripts, type ScriptReply, type ScriptRunner } from "./scripts.js";

/** Store.enqueue on Redis. */
export class RedisEnqueuer {
  // The plain scripts' keys, made once.
  private readonly plainKeys: { queues: string; watching: string };

  constructor(
    private readonly keys: RedisKeys,
    private readonly run: ScriptRunner,
  ) {
    this.plainKeys = { queues: keys.queues(), watching: keys.watching() };
  }

  /** Stores a batch of new jobs (Store.enqueue). */
  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    // Plain jobs (the usual case) take one short script call, chained without async layers: a
    // single awaited enqueue is mostly round trip. Others, or a queue numbered too high for
    // packed places (the script then stores nothing), take the general script.
    try {
      for (const job of jobs) checkStorable(job);
      if (jobs.length === 0 || !jobs.every(isPlain)) return this.enqueueGeneral(jobs);
      const rest: string[] = [];
      for (const job of jobs) plainEnqueueArgs(job, rest);
      const records = (reply: ScriptReply): Promise<EnqueueResult[]> | EnqueueResult[] => {
        // enqueue-plain answers GENERAL for a queue numbered too high: the general script stores the batch.
        if (reply.status !== ScriptStatus.Ok) return this.enqueueGeneral(jobs);
        const now = Number(reply.data[0]);
        return jobs.map((job) => ({ job: newJobRecord(job, "QUEUED", now, null), created: true }));
      };
      const plain = (): Promise<EnqueueResult[]> => this.run(scripts.enqueuePlain, { keys: this.plainKeys, argv: {}, rest }).then(records);
      if (jobs.length > 1) return plain();
      // One job takes the shortest script first; off its usual path that stores nothing (GENERAL).
      return this.run(scripts.enqueueOne, { keys: this.plainKeys, argv: {}, rest }).then((reply) => (reply.status === ScriptStatus.Ok ? records(reply) : plain()));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async enqueueGeneral(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    const rest: string[] = [];
    for (const job of jobs) enqueueArgs(job, rest);
    const reply = await this.run(scripts.enqueue, { keys: { idempotency: this.keys.idempotency() }, argv: { count: jobs.length }, rest });
    const now = Number(checkEnqueued(reply).data[0]);
    return jobs.map((job, i) => decodeEnqueued(job, reply.data[i + 1], now));
  }
}

/** The enqueue script's reply, or the error of a duplicate id or a missing dependency (nothing stored). */
export function checkEnqueued(reply: ScriptReply): ScriptReply {
  if (reply.status === ScriptStatus.Duplicate) throw new InvalidOptionsError(`A job with id ${String(reply.data[0])} already exists`);
  if (reply.status === ScriptStatus.DependencyNotFound) throw new DependencyNotFoundError(String(reply.data[0]), String(reply.data[1]));
  return reply;
}

/**
 * Refuses what the Redis layout cannot hold, whoever calls the store (the client's own ids,
 * task and queue names always pass): an empty entry is a gap in a queue list and one starting
 * with NUL a packed job, so ids must be non-empty and NUL-free, and task names NUL-free; queue
 * names are fields of `qnum`, whose own fields start with '#', '^' or '~'.
 */
export function checkStorable(job: NewJob): void {
  if (job.id === "" || job.id.includes("\0")) throw new InvalidOptionsError(`Invalid job id ${JSON.stringify(job.id)}: it must be non-empty and must not contain NUL`);
  if (job.task.includes("\0")) throw new InvalidOptionsError(`Invalid task name ${JSON.stringify(job.task)}: it must not contain NUL`);
  const first = job.queue.charAt(0);
  if (first === "" || first === "#" || first === "^" || first === "~")
    throw new InvalidOptionsError(`Invalid queue name ${JSON.stringify(job.queue)}: it must be non-empty and must not start with #, ^ or ~`);
  if (job.hold && (job.dependsOn?.length ?? 0) > 0) throw new InvalidOptionsError(`Job ${job.id} cannot be held (PENDING) and depend on other jobs`);
  // Limit keys are stored as 'name|key' pairs joined by NUL (job-hash.ts): names hold no '|', keys no NUL.
  if (job.limitKeys !== undefined && job.limitKeys.length > 0) {
    const problems = limitKeyProblems(job.limitKeys);
    if (problems.length > 0) throw new InvalidOptionsError(`Invalid limit keys of job ${job.id}: ${problems.join("; ")}`);
  }
}
