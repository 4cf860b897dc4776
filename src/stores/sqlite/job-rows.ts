// Row-level steps of the SQLite store's transitions: inserting jobs, queue positions,
// promotion, stalls, retries, deletion and the event log. Each runs inside a transaction the
// store opened; none opens one itself.
import { InvalidOptionsError, JobNotFoundError } from "../../core/errors.js";
import type { JobEvent, JobEventType } from "../../core/events.js";
import { newToken } from "../../core/ids.js";
import type { ClaimedJob, JobError, NewJob, WorkerInfo } from "../../core/job.js";
import { newJobRecord } from "../../core/job-record.js";
import type { JobStatus } from "../../core/job-states.js";
import type { ClaimRequest, EnqueueResult, RecoverResult } from "../../core/store.js";
import { rowToClaimed, rowToJob, type JobRow } from "./rows.js";
import type { Statements } from "./statements.js";

/** The row-level steps, on one connection's prepared statements. */
export class JobRows {
  constructor(private readonly st: Statements) {}

  insert(job: NewJob, now: number, tails: Map<string, number>): EnqueueResult {
    if (job.idempotencyKey !== null) {
      const existing = this.st.jobByKey.get(job.idempotencyKey) as JobRow | undefined;
      if (existing !== undefined) return { job: rowToJob(existing), created: false };
    }
    const runAt = job.runAt ?? (job.delayMs !== null && job.delayMs > 0 ? now + job.delayMs : null);
    const status: JobStatus = job.hold ? "PENDING" : runAt !== null && runAt > now ? "SCHEDULED" : "QUEUED";
    let position: number | null = null;
    if (status === "QUEUED") {
      position = (tails.get(job.queue) ?? this.tailPosition(job.queue) - 1) + 1;
      tails.set(job.queue, position);
    }
    const row = {
      id: job.id,
      task: job.task,
      queue: job.queue,
      status,
      payload: job.payloadText,
      max_attempts: job.maxAttempts,
      timeout_ms: job.timeoutMs,
      backoff: JSON.stringify(job.backoff),
      retry_on_timeout: job.retryOnTimeout ? 1 : 0,
      created_at: now,
      enqueued_at: status === "PENDING" ? null : now,
      run_at: runAt,
      idempotency_key: job.idempotencyKey,
      meta: job.metaText,
      project_id: job.meta.projectId ?? null,
      user_id: job.meta.userId ?? null,
      result_ttl_s: job.resultTtlSeconds,
      failure_ttl_s: job.failureTtlSeconds,
      position,
    };
    try {
      this.st.insertJob.run(row);
    } catch (error) {
      // A caller's id that a job already has (the transaction then stores none of the batch).
      if ((error as { code?: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new InvalidOptionsError(`A job with id ${job.id} already exists`);
      throw error;
    }
    const type: JobEventType = status === "PENDING" ? "job:created" : status === "SCHEDULED" ? "job:scheduled" : "job:enqueued";
    this.st.insertEvent.run(now, type, job.id, job.queue, job.task, status, 0, null, null);
    return { job: newJobRecord(job, status, now, runAt), created: true };
  }

  /** A claim: promotes due jobs, then leases up to `limit` QUEUED jobs in queue priority order. */
  claim(request: ClaimRequest, now: number): ClaimedJob[] {
    this.promoteDue(now, 1000);
    const paused = this.pausedQueues();
    const claimed: ClaimedJob[] = [];
    for (const queue of request.queues) {
      if (claimed.length >= request.limit) break;
      if (paused.has(queue)) continue;
      const ids = this.st.headOfQueue.pluck().all(queue, request.limit - claimed.length) as string[];
      for (const id of ids) {
        const token = newToken();
        const row = this.st.claimOne.get({ id, now, worker: request.worker, incarnation: request.incarnation, token, expires: now + request.leaseMs }) as JobRow;
        this.event("job:started", row, now, { durationMs: now - (row.enqueued_at ?? now) });
        claimed.push(rowToClaimed(row));
      }
    }
    return claimed;
  }

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

  stall(rows: JobRow[], now: number, stallLimit: number, why: string): RecoverResult {
    let requeued = 0;
    let failed = 0;
    for (const row of rows) {
      if (row.stalls + 1 > stallLimit) {
        const error: JobError = { code: "STALLED", message: `Stalled ${row.stalls + 1} times (${why}); stall limit is ${stallLimit}` };
        const updated = this.st.stallFail.get({ id: row.id, now, error: JSON.stringify(error) }) as JobRow;
        this.event("job:failed", updated, now, { error });
        failed += 1;
      } else {
        const updated = this.st.stallRequeue.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
        this.event("job:stalled", updated, now);
        requeued += 1;
      }
    }
    return { requeued, failed };
  }

  retry(row: JobRow, now: number): JobRow {
    const updated = this.st.retry.get({ id: row.id, now, position: this.tailPosition(row.queue) }) as JobRow;
    this.event("job:enqueued", updated, now);
    return updated;
  }

  delete(id: string): void {
    this.st.deleteJob.run(id);
    this.st.deleteEventsOfJob.run(id);
  }

  require(jobId: string): JobRow {
    const row = this.st.jobById.get(jobId) as JobRow | undefined;
    if (row === undefined) throw new JobNotFoundError(jobId);
    return row;
  }

  tailPosition(queue: string): number {
    return ((this.st.tailPosition.pluck().get(queue) as number | null) ?? 0) + 1;
  }

  headPosition(queue: string): number {
    return ((this.st.headPosition.pluck().get(queue) as number | null) ?? 1) - 1;
  }

  pausedQueues(): Set<string> {
    return new Set(this.st.pausedQueues.pluck().all() as string[]);
  }

  upsertWorker(info: WorkerInfo, now: number): void {
    this.st.upsertWorker.run({
      name: info.name,
      incarnation: info.incarnation,
      host: info.host,
      pid: info.pid,
      queues: JSON.stringify(info.queues),
      concurrency: info.concurrency,
      state: info.state,
      started_at: info.startedAt,
      heartbeat_at: now,
      current_jobs: JSON.stringify(info.currentJobs),
      processed: info.processed,
      failed: info.failed,
    });
  }

  event(type: JobEventType, row: JobRow, now: number, extra?: Partial<JobEvent>): void {
    this.insertEvent(type, row, row.status as JobStatus, now, extra);
  }

  insertEvent(type: JobEventType, row: Pick<JobRow, "id" | "queue" | "task" | "attempt" | "worker">, status: JobStatus, now: number, extra?: Partial<JobEvent>): void {
    this.st.insertEvent.run(now, type, row.id, row.queue, row.task, status, row.attempt, row.worker, extra === undefined ? null : JSON.stringify(extra));
  }
}
