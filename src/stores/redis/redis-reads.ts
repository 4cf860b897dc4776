// The reads of the Redis store: one job (with or without its timeline), listings, queue stats
// and finishes per minute. Each is one read-only script call; nothing here changes a job.
import { InvalidCursorError } from "../../core/errors.js";
import type { JobEvent } from "../../core/events.js";
import { gatherFinishes } from "../../core/finishes.js";
import type { Job, JobFilter, JobPage, MinuteFinishes, QueueStats } from "../../core/job.js";
import { listingCursorShape } from "../../core/listing-cursor.js";
import { MAX_JOB_EVENTS } from "../../core/store.js";
import { decodeJob, hashFields } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { decodeJobPage, decodeStats, jobEventsOf } from "./replies.js";
import { scripts, type ScriptRunner } from "./scripts.js";

/** Index entries a listing, purge or retry of all failed jobs reads per script call (a listing of a large page reads more). */
export const SCAN_BUDGET = 5000;

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

  /** A job's fields (flat, as HGETALL gives them; a packed waiting job's too) and timeline. */
  private async readJob(jobId: string, withTimeline: boolean): Promise<[string[], string[]]> {
    const reply = await this.run(scripts.get, { keys: { anchor: this.keys.queues() }, argv: { jobId, timelineLimit: withTimeline ? MAX_JOB_EVENTS - 1 : 0 } });
    return reply.data as [string[], string[]];
  }

  /**
   * One page of jobs; `cursor` is the id list.lua ended the previous page on. A cursor that is
   * no id this store could have handed out throws INVALID_CURSOR: one that newJobId could not
   * have made must be the id of a stored job (a caller's own id; one more read, only for those).
   */
  async listJobs(filter: JobFilter, limit: number, cursor: string | null): Promise<JobPage> {
    if (cursor !== null && listingCursorShape(cursor) === "other" && (await this.readJob(cursor, false))[0].length === 0) {
      throw new InvalidCursorError("it is not an id Caudex makes, and no stored job has it");
    }
    const reply = await this.run(scripts.list, {
      keys: { anchor: this.keys.queues() },
      argv: {
        limit,
        cursor: cursor ?? "",
        budget: Math.max(SCAN_BUDGET, limit * 20),
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
