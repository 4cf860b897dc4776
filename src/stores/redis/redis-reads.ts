// The reads of the Redis store: one job (with or without its timeline), listings, queue stats
// and finishes per minute. Each is a read-only script call (a listing: a few, each reading a few
// hundred index entries); nothing here changes a job.
import { InvalidCursorError, JobNotFoundError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import { gatherFinishes } from "../../core/finishes.js";
import type { DependencyOutcome, Job, JobFilter, JobPage, MinuteFinishes, QueueStats } from "../../core/job.js";
import { listingCursorShape } from "../../core/listing-cursor.js";
import { MAX_JOB_EVENTS } from "../../core/store.js";
import { decodeJob, hashFields } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { decodeJobPage, decodeStats, jobEventsOf } from "./replies.js";
import { scripts, type ScriptRunner } from "./scripts.js";

/** Index entries a purge or retry of all failed jobs reads per script call. */
export const SCAN_BUDGET = 5000;

/**
 * Index entries one call of the listing script reads. A script holds Redis for its whole run:
 * 5,000 entries took about 150 ms, during which no worker could claim or settle; a few hundred
 * keep one call to a few milliseconds, and other clients' commands run between the calls.
 */
export const LIST_CALL_BUDGET = 250;

/**
 * Index entries one listing request reads in all, over LIST_CALL_BUDGET-sized calls (a large
 * page may read 20 per job asked). When it runs out, the page comes back short, with a cursor
 * that goes on from the last entry read.
 */
export const LIST_REQUEST_BUDGET = 5000;

/** Store reads on Redis. */
export class RedisReader {
  constructor(
    private readonly keys: RedisKeys,
    private readonly run: ScriptRunner,
  ) {}

  async getJob(jobId: string): Promise<Job | null> {
    const [flat] = await this.readJob(jobId, false);
    return flat.length === 0 ? null : decodeJob(jobId, hashFields(flat));
  }

  /** The jobs of these ids that exist, in the order asked (one script call). */
  async getJobs(jobIds: readonly string[]): Promise<Job[]> {
    if (jobIds.length === 0) return [];
    const reply = await this.run(scripts.getJobs, { keys: { anchor: this.keys.queues() }, argv: {}, rest: jobIds });
    const jobs: Job[] = [];
    (reply.data as string[][]).forEach((flat, i) => {
      if (flat.length > 0) jobs.push(decodeJob(jobIds[i] as string, hashFields(flat)));
    });
    return jobs;
  }

  /** The job's dependencies as they are now, in its dependsOn order (one deleted since is left out). */
  async dependencyOutcomes(jobId: string): Promise<DependencyOutcome[]> {
    const job = await this.getJob(jobId);
    if (job === null) throw new JobNotFoundError(jobId);
    return (await this.getJobs(job.dependsOn)).map(({ id, task, status, result, error }) => ({ id, task, status, result, error }));
  }

  /** A job's fields (flat, as HGETALL gives them; a packed waiting job's too) and timeline. */
  private async readJob(jobId: string, withTimeline: boolean): Promise<[string[], string[]]> {
    const reply = await this.run(scripts.get, { keys: { anchor: this.keys.queues() }, argv: { jobId, timelineLimit: withTimeline ? MAX_JOB_EVENTS - 1 : 0 } });
    return reply.data as [string[], string[]];
  }

  /**
   * One page of jobs; `cursor` is the id list.lua ended the previous page on. A cursor that is
   * no id this store could have handed out throws INVALID_CURSOR: one that newJobId could not
   * have made must be the id of a stored job (a caller's own id; one more read, only for those).
   * The scan goes on from call to call (each reading at most LIST_CALL_BUDGET entries) until
   * the page is full, the index ends, or LIST_REQUEST_BUDGET entries were read.
   */
  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    if (cursor !== null && listingCursorShape(cursor) === "other" && (await this.readJob(cursor, false))[0].length === 0) {
      throw new InvalidCursorError("it is not an id Caudex makes, and no stored job has it");
    }
    const jobs: Job[] = [];
    let at = cursor ?? "";
    for (let left = Math.max(LIST_REQUEST_BUDGET, limit * 20); ; ) {
      const budget = Math.min(LIST_CALL_BUDGET, left);
      const page = await this.listOnce(filter, limit - jobs.length, at, budget);
      jobs.push(...page.jobs);
      left -= budget;
      if (page.nextCursor === null || jobs.length >= limit || left <= 0) return { jobs, nextCursor: page.nextCursor };
      at = page.nextCursor;
    }
  }

  /** One call of list.lua: up to `limit` jobs below `cursor` ('' = newest), reading at most `budget` index entries. */
  private async listOnce(filter: JobFilter, limit: number, cursor: string, budget: number): Promise<JobPage> {
    const reply = await this.run(scripts.list, {
      keys: { anchor: this.keys.queues() },
      argv: {
        limit,
        cursor,
        budget,
        status: filter.status ?? "",
        queue: filter.queue ?? "",
        task: filter.task ?? "",
        project: filter.projectId ?? "",
        user: filter.userId ?? "",
        schedule: filter.scheduleId ?? "",
      },
    });
    return decodeJobPage(reply.data);
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    const [flat, bodies] = await this.readJob(jobId, true);
    return jobEventsOf(jobId, hashFields(flat), bodies);
  }

  async stats(): Promise<QueueStats[]> {
    const k = this.keys;
    const reply = await this.run(scripts.stats, { keys: { queues: k.queues(), counts: k.counts(), paused: k.paused() }, argv: {} });
    return decodeStats(reply.data);
  }

  async finishesPerMinute(since: number): Promise<MinuteFinishes[]> {
    const reply = await this.run(scripts.finishesPerMinute, { keys: { queues: this.keys.queues() }, argv: { firstMinute: Math.floor(since / 60_000) } });
    return gatherFinishes(
      (reply.data as Array<[string, string, number, number]>).map(([queue, kind, minute, count]) => ({ queue, minute: Number(minute), kind: kind === "done" ? "completed" : "failed", count: Number(count) })),
    );
  }
}
