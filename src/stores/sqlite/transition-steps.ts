// Row-level steps that several of the SQLite store's transitions share: queue positions,
// promotion of due jobs, stalls, retries, deletion and the event log. Each runs inside a
// transaction the store opened; none opens one itself.
import { JobNotFoundError } from "../../core/errors.js";
import type { JobEvent, JobEventType } from "../../core/events.js";
import type { JobError } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import type { RecoverResult } from "../../core/store.js";
import type BetterSqlite3 from "better-sqlite3";
import type { JobRow } from "./row-decoders.js";
import { DependencySteps } from "./sqlite-dependencies.js";
import { LimitSteps } from "./sqlite-limits.js";
import type { Statements } from "./sql-statements.js";

/** The shared steps, on one connection's prepared statements. */
export class TransitionSteps {
  /** The dependency steps (sqlite-dependencies.ts): every final transition calls `ended`. */
  readonly deps: DependencySteps;
  /** The limit steps (sqlite-limits.ts): admission and the round-robin claim. */
  readonly limits: LimitSteps;

  constructor(
    private readonly st: Statements,
    db: BetterSqlite3.Database,
  ) {
    this.deps = new DependencySteps(db, this);
    this.limits = new LimitSteps(db);
  }

  /** After a job became final: settles its dependents, when it has any (read from its row: no statement otherwise). */
  ended(row: JobRow, now: number): void {
    if (row.dependents > 0) this.deps.settle(row, now);
  }

  /** Cancels a job by id (no status check) and logs it; the caller settles its dependents. */
  cancelRow(id: string, now: number): JobRow {
    const row = this.st.cancel.get({ id, now }) as JobRow;
    this.event("job:canceled", row, now);
    return row;
  }

  /** Moves a job to SCHEDULED (its run_at already set). */
  toScheduled(id: string, now: number): JobRow {
    return this.st.toScheduled.get({ id, now }) as JobRow;
  }

  /** Queues a job at its queue's tail and logs it. */
  queueAtTail(row: JobRow, now: number): JobRow {
    const updated = this.st.toQueued.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
    this.event("job:enqueued", updated, now);
    return updated;
  }

  /** The job's row, or undefined. */
  find(jobId: string): JobRow | undefined {
    return this.st.jobById.get(jobId) as JobRow | undefined;
  }

  /** Queues up to `limit` SCHEDULED jobs that are due, at their queues' tails; returns how many. */
  promoteDue(now: number, limit: number): number {
    const due = this.st.dueJobs.all(now, limit) as Array<{ id: string; queue: string }>;
    const tails = new Map<string, number>();
    for (const { id, queue } of due) {
      const position = (tails.get(queue) ?? this.tailPosition(queue) - 1) + 1;
      tails.set(queue, position);
      const row = this.st.toQueued.get({ id, now, position }) as JobRow;
      this.event("job:enqueued", row, now);
    }
    return due.length;
  }

  /** Requeues jobs whose holder is gone, or fails those past the stall limit; `why` goes in the error. */
  stall(rows: JobRow[], now: number, stallLimit: number, why: string): RecoverResult {
    let requeued = 0;
    let failed = 0;
    for (const row of rows) {
      if (row.stalls + 1 > stallLimit) {
        const error: JobError = { code: "STALLED", message: `Stalled ${row.stalls + 1} times (${why}); stall limit is ${stallLimit}` };
        const updated = this.st.stallFail.get({ id: row.id, now, error: JSON.stringify(error) }) as JobRow;
        this.event("job:failed", updated, now, { error });
        this.ended(updated, now);
        failed += 1;
      } else {
        const updated = this.st.stallRequeue.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
        this.event("job:stalled", updated, now);
        requeued += 1;
      }
    }
    return { requeued, failed };
  }

  /** Queues a finished job again with a fresh attempt count. */
  retry(row: JobRow, now: number): JobRow {
    const updated = this.st.retry.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
    this.event("job:enqueued", updated, now);
    return updated;
  }

  /** Deletes a job, its events and its dependency edges. */
  delete(id: string): void {
    this.deps.forget(id);
    this.st.deleteJob.run(id);
    this.st.deleteEventsOfJob.run(id);
  }

  /** The job's row; JOB_NOT_FOUND when there is none. */
  require(jobId: string): JobRow {
    const row = this.st.jobById.get(jobId) as JobRow | undefined;
    if (row === undefined) throw new JobNotFoundError(jobId);
    return row;
  }

  /** The position after the last QUEUED job of `queue`. */
  tailPosition(queue: string): number {
    return ((this.st.tailPosition.pluck().get(queue) as number | null) ?? 0) + 1;
  }

  /** The position before the first QUEUED job of `queue`. */
  headPosition(queue: string): number {
    return ((this.st.headPosition.pluck().get(queue) as number | null) ?? 1) - 1;
  }

  /** The names of the paused queues. */
  pausedQueues(): Set<string> {
    return new Set(this.st.pausedQueues.pluck().all() as string[]);
  }

  /** Appends an event for `row` in its current status. */
  event(type: JobEventType, row: JobRow, now: number, extra?: Partial<JobEvent>): void {
    this.insertEvent(type, row, row.status as JobStatus, now, extra);
  }

  /** Appends an event for a job in `status`; `row` needs only the job's identity columns. */
  insertEvent(type: JobEventType, row: Pick<JobRow, "id" | "queue" | "task" | "attempt" | "worker">, status: JobStatus, now: number, extra?: Partial<JobEvent>): void {
    this.st.insertEvent.run(now, type, row.id, row.queue, row.task, status, row.attempt, row.worker, extra === undefined ? null : JSON.stringify(extra));
  }
}
