// Row-level steps that several of the PostgreSQL store's transitions share: queue positions,
// promotion of due jobs, stalls, retries, deletion and the event log. Each runs inside a
// transaction the store opened; none opens one itself. Positions come from the job_positions
// sequence (tail) or its negation (head), so concurrent transactions never pick the same one.
import { JobNotFoundError } from "../../core/errors.js";
import type { JobEvent, JobEventType } from "../../core/events.js";
import type { JobError } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import type { RecoverResult } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import type { JobRow } from "./row-decoders.js";

/** The statement that appends one event ($1 at, $2 type, $3 job, $4 queue, $5 task, $6 status, $7 attempt, $8 worker, $9 data). */
export const INSERT_EVENT = `INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker, data)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

const SQL = {
  jobById: "SELECT * FROM {s}.jobs WHERE id = $1",
  cancel: `UPDATE {s}.jobs SET status = 'CANCELED', completed_at = $2, lease_token = NULL, lease_expires_at = NULL,
      position = NULL, expires_at = $2 + failure_ttl_s * 1000 WHERE id = $1 RETURNING *`,
  toScheduled: "UPDATE {s}.jobs SET status = 'SCHEDULED', enqueued_at = $2 WHERE id = $1 RETURNING *",
  toQueued: `UPDATE {s}.jobs SET status = 'QUEUED', position = nextval('{s}.job_positions'), enqueued_at = $2, run_at = NULL
    WHERE id = $1 RETURNING *`,
  // Due jobs, locked so that two claims never promote the same one; queued oldest run time first.
  promoteDue: `WITH due AS (
      SELECT id FROM {s}.jobs WHERE status = 'SCHEDULED' AND run_at <= $1 ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED
    ), moved AS (
      UPDATE {s}.jobs j SET status = 'QUEUED', position = nextval('{s}.job_positions'), enqueued_at = $1, run_at = NULL
      FROM due WHERE j.id = due.id RETURNING j.id, j.queue, j.task, j.status, j.attempt, j.worker
    ), logged AS (
      INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt, worker)
      SELECT $1, 'job:enqueued', id, queue, task, status, attempt, worker FROM moved
    )
    SELECT queue, count(*)::int AS n FROM moved GROUP BY queue`,
  stallRequeue: `UPDATE {s}.jobs SET status = 'QUEUED', stalls = stalls + 1, position = nextval('{s}.job_positions'), enqueued_at = $2,
      lease_token = NULL, lease_expires_at = NULL WHERE id = $1 RETURNING *`,
  stallFail: `UPDATE {s}.jobs SET status = 'FAILED', stalls = stalls + 1, error = $3, completed_at = $2,
      lease_token = NULL, lease_expires_at = NULL, expires_at = $2 + failure_ttl_s * 1000 WHERE id = $1 RETURNING *`,
  retry: `UPDATE {s}.jobs SET status = 'QUEUED', attempt = 0, retries = retries + 1, stalls = 0, error = NULL, result = NULL, progress = NULL,
      started_at = NULL, completed_at = NULL, expires_at = NULL, run_at = NULL, enqueued_at = $2,
      position = nextval('{s}.job_positions') WHERE id = $1 RETURNING *`,
  deleteJob: "DELETE FROM {s}.jobs WHERE id = $1",
  deleteEventsOfJob: "DELETE FROM {s}.events WHERE job_id = $1",
  pausedQueues: "SELECT name FROM {s}.queues WHERE paused",
} as const;

/** The dependency settlement, injected by the store (postgres-dependencies.ts) to keep the modules acyclic. */
export interface Settler {
  settle(tx: Tx, ended: JobRow, now: number): Promise<void>;
  forget(tx: Tx, jobId: string): Promise<void>;
}

/** The shared steps. */
export class TransitionSteps {
  settler: Settler | null = null;

  /** After a job became final: settles its dependents, when it has any (read from its row); frees limit slots wake waiters. */
  async ended(tx: Tx, row: JobRow, now: number): Promise<void> {
    if (row.limit_keys !== null) tx.wake(row.queue);
    if (row.dependents > 0 && this.settler !== null) await this.settler.settle(tx, row, now);
  }

  /** Cancels a job by id (no status check) and logs it; the caller settles its dependents. */
  async cancelRow(tx: Tx, id: string, now: number): Promise<JobRow> {
    const row = (await tx.row<JobRow>(SQL.cancel, [id, now])) as JobRow;
    await this.event(tx, "job:canceled", row, now);
    if (row.limit_keys !== null) tx.wake(row.queue);
    return row;
  }

  /** Moves a job to SCHEDULED (its run_at already set). */
  async toScheduled(tx: Tx, id: string, now: number): Promise<JobRow> {
    return (await tx.row<JobRow>(SQL.toScheduled, [id, now])) as JobRow;
  }

  /** Queues a job at its queue's tail and logs it. */
  async queueAtTail(tx: Tx, row: Pick<JobRow, "id">, now: number): Promise<JobRow> {
    const updated = (await tx.row<JobRow>(SQL.toQueued, [row.id, now])) as JobRow;
    await this.event(tx, "job:enqueued", updated, now);
    tx.wake(updated.queue);
    return updated;
  }

  /** The job's row, or undefined. */
  async find(tx: Tx, jobId: string): Promise<JobRow | undefined> {
    return tx.row<JobRow>(SQL.jobById, [jobId]);
  }

  /** The job's row; JOB_NOT_FOUND when there is none. */
  async require(tx: Tx, jobId: string): Promise<JobRow> {
    const row = await this.find(tx, jobId);
    if (row === undefined) throw new JobNotFoundError(jobId);
    return row;
  }

  /** Queues up to `limit` SCHEDULED jobs that are due, at their queues' tails; returns how many. */
  async promoteDue(tx: Tx, now: number, limit: number): Promise<number> {
    let moved = 0;
    for (const { queue, n } of await tx.rows<{ queue: string; n: number }>(SQL.promoteDue, [now, limit])) {
      tx.wake(queue);
      moved += n;
    }
    return moved;
  }

  /** Requeues jobs whose holder is gone, or fails those past the stall limit; `why` goes in the error. */
  async stall(tx: Tx, rows: readonly JobRow[], now: number, stallLimit: number, why: string): Promise<RecoverResult> {
    let requeued = 0;
    let failed = 0;
    for (const row of rows) {
      if (row.stalls + 1 > stallLimit) {
        const error: JobError = { code: "STALLED", message: `Stalled ${row.stalls + 1} times (${why}); stall limit is ${stallLimit}` };
        const updated = (await tx.row<JobRow>(SQL.stallFail, [row.id, now, JSON.stringify(error)])) as JobRow;
        await this.event(tx, "job:failed", updated, now, { error });
        await this.ended(tx, updated, now);
        failed += 1;
      } else {
        const updated = (await tx.row<JobRow>(SQL.stallRequeue, [row.id, now])) as JobRow;
        await this.event(tx, "job:stalled", updated, now);
        tx.wake(updated.queue);
        requeued += 1;
      }
    }
    return { requeued, failed };
  }

  /** Queues a finished job again with a fresh attempt count. */
  async retry(tx: Tx, row: JobRow, now: number): Promise<JobRow> {
    const updated = (await tx.row<JobRow>(SQL.retry, [row.id, now])) as JobRow;
    await this.event(tx, "job:enqueued", updated, now);
    tx.wake(updated.queue);
    return updated;
  }

  /** Deletes a job, its events and its dependency edges. */
  async delete(tx: Tx, id: string): Promise<void> {
    await this.settler?.forget(tx, id);
    await tx.run(SQL.deleteJob, [id]);
    await tx.run(SQL.deleteEventsOfJob, [id]);
  }

  /** The names of the paused queues. */
  async pausedQueues(tx: Tx): Promise<Set<string>> {
    return new Set((await tx.rows<{ name: string }>(SQL.pausedQueues)).map((r) => r.name));
  }

  /** Appends an event for `row` in its current status. */
  async event(tx: Tx, type: JobEventType, row: JobRow, now: number, extra?: Partial<JobEvent>): Promise<void> {
    await this.insertEvent(tx, type, row, row.status as JobStatus, now, extra);
  }

  /** Appends an event for a job in `status`; `row` needs only the job's identity columns. */
  async insertEvent(tx: Tx, type: JobEventType, row: Pick<JobRow, "id" | "queue" | "task" | "attempt" | "worker">, status: JobStatus, now: number, extra?: Partial<JobEvent>): Promise<void> {
    await tx.run(INSERT_EVENT, [now, type, row.id, row.queue, row.task, status, row.attempt, row.worker, extra === undefined ? null : JSON.stringify(extra)]);
  }
}
