// The enqueue paths of the PostgreSQL store: a batch of new jobs (a job whose idempotency key is
// taken answers with the job that holds it, also when another transaction took it meanwhile)
// and a held PENDING job let go. Each runs inside a transaction the store opened, or the
// application's own (transactional enqueue); none opens or commits one itself.
import { InvalidOptionsError, InvalidTransitionError } from "../../core/errors.js";
import type { JobEventType } from "../../core/events.js";
import type { Job, NewJob } from "../../core/job.js";
import { newJobRecord } from "../../core/job-record.js";
import type { JobStatus } from "../../core/job-states.js";
import type { EnqueueResult } from "../../core/store.js";
import { codeOf, type Tx } from "./postgres-database.js";
import type { DependencySteps } from "./postgres-dependencies.js";
import { laneOf } from "../../core/limits.js";
import { INSERT_EVENT, type TransitionSteps } from "./postgres-steps.js";
import { rowToJob, type JobRow } from "./row-decoders.js";

const SQL = {
  jobByKey: "SELECT * FROM {s}.jobs WHERE idempotency_key = $1",
  // One statement for every job; a QUEUED one takes the next position of the sequence. A job
  // that starts FAILED or CANCELED (a dependency already did) is finished, its retention running.
  insertJob: `INSERT INTO {s}.jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff,
      retry_on_timeout, created_at, enqueued_at, run_at, idempotency_key, meta, project_id, user_id,
      result_ttl_s, failure_ttl_s, position, schedule_id, fire_at, depends_on, on_dependency_failure,
      deps_total, deps_waiting, deps_failed, deps_canceled, parent_id, flow_id, limit_keys, lane, error, completed_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::bigint, $11, $12, $13, $14, $15, $16, $17::bigint, $18::bigint,
      CASE WHEN $4 = 'QUEUED' THEN nextval('{s}.job_positions') END, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31,
      $32::bigint, CASE WHEN $32::bigint IS NULL THEN NULL ELSE $32::bigint + $18::bigint * 1000 END)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
  toScheduled: "UPDATE {s}.jobs SET status = 'SCHEDULED', enqueued_at = $2 WHERE id = $1 RETURNING *",
  // A batch of plain jobs in two statements whatever its size: the rows come from arrays in input
  // order (ORDER BY ord before nextval, so queued jobs take positions in that order), then one
  // event each. The data-modifying CTE runs whether or not the final INSERT reads it.
  insertPlainJobs: `WITH input AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::bool[],
        $10::bigint[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[])
        WITH ORDINALITY AS u(id, task, queue, status, payload, max_attempts, timeout_ms, backoff, retry_on_timeout,
          run_at, meta, project_id, user_id, result_ttl_s, failure_ttl_s, ord)
    ), stored AS (
      INSERT INTO {s}.jobs (id, task, queue, status, payload, max_attempts, timeout_ms, backoff, retry_on_timeout, created_at, enqueued_at,
        run_at, meta, project_id, user_id, result_ttl_s, failure_ttl_s, position)
      SELECT id, task, queue, status, payload, max_attempts, timeout_ms, backoff, retry_on_timeout, $16::bigint,
        CASE WHEN status = 'PENDING' THEN NULL ELSE $16::bigint END, run_at, meta, project_id, user_id, result_ttl_s, failure_ttl_s,
        CASE WHEN status = 'QUEUED' THEN nextval('{s}.job_positions') END
      FROM (SELECT * FROM input ORDER BY ord) ordered
      RETURNING id
    )
    INSERT INTO {s}.events (at, type, job_id, queue, task, status, attempt)
    SELECT $16::bigint, CASE status WHEN 'PENDING' THEN 'job:created' WHEN 'SCHEDULED' THEN 'job:scheduled' ELSE 'job:enqueued' END,
      id, queue, task, status, 0
    FROM input ORDER BY ord`,
} as const;

/** Stores a batch of new jobs in order; the QUEUED ones of a queue take consecutive positions. */
export async function enqueueJobs(tx: Tx, steps: TransitionSteps, deps: DependencySteps, jobs: readonly NewJob[], now: number): Promise<EnqueueResult[]> {
  if (jobs.length > 1 && jobs.every(isPlain)) return insertPlainJobs(tx, jobs, now);
  const results: EnqueueResult[] = [];
  for (const job of jobs) results.push(await insertJob(tx, steps, deps, job, now));
  return results;
}

/** A job with nothing to look up or link as it is stored: no idempotency key, dependency, flow, schedule or limit. */
function isPlain(job: NewJob): boolean {
  return (
    job.idempotencyKey === null &&
    (job.dependsOn === undefined || job.dependsOn.length === 0) &&
    job.parentId == null &&
    job.flowId == null &&
    job.schedule === undefined &&
    (job.limitKeys === undefined || job.limitKeys.length === 0)
  );
}

/** The status a new job without dependencies is stored in. */
function initialStatus(job: NewJob, runAt: number | null, now: number): JobStatus {
  return job.hold ? "PENDING" : runAt !== null && runAt > now ? "SCHEDULED" : "QUEUED";
}

function runAtOf(job: NewJob, now: number): number | null {
  return job.runAt ?? (job.delayMs !== null && job.delayMs > 0 ? now + job.delayMs : null);
}

/** Stores plain jobs (isPlain) with one statement for the whole batch. */
async function insertPlainJobs(tx: Tx, jobs: readonly NewJob[], now: number): Promise<EnqueueResult[]> {
  const runAts = jobs.map((job) => runAtOf(job, now));
  const statuses = jobs.map((job, i) => initialStatus(job, runAts[i] ?? null, now));
  try {
    await tx.run(SQL.insertPlainJobs, [
      jobs.map((j) => j.id),
      jobs.map((j) => j.task),
      jobs.map((j) => j.queue),
      statuses,
      jobs.map((j) => j.payloadText),
      jobs.map((j) => j.maxAttempts),
      jobs.map((j) => j.timeoutMs),
      jobs.map((j) => JSON.stringify(j.backoff)),
      jobs.map((j) => j.retryOnTimeout),
      runAts,
      jobs.map((j) => j.metaText),
      jobs.map((j) => j.meta.projectId ?? null),
      jobs.map((j) => j.meta.userId ?? null),
      jobs.map((j) => j.resultTtlSeconds),
      jobs.map((j) => j.failureTtlSeconds),
      now,
    ]);
  } catch (error) {
    if (codeOf(error) === "23505" && (error as { constraint?: string }).constraint === "jobs_pkey") {
      const id = /\(id\)=\(([^)]*)\)/.exec(String((error as { detail?: unknown }).detail))?.[1];
      throw new InvalidOptionsError(id === undefined ? "A job with one of these ids already exists" : `A job with id ${id} already exists`);
    }
    throw error;
  }
  return jobs.map((job, i) => {
    const status = statuses[i] as JobStatus;
    if (status === "QUEUED") tx.wake(job.queue);
    return { job: newJobRecord(job, status, now, runAts[i] ?? null), created: true };
  });
}

/** Lets a PENDING job go: SCHEDULED when its run time is ahead, QUEUED otherwise. */
export async function enqueuePendingJob(tx: Tx, steps: TransitionSteps, jobId: string, now: number): Promise<Job> {
  const row = await steps.require(tx, jobId);
  if (row.status !== "PENDING") throw new InvalidTransitionError(jobId, "enqueue", row.status);
  if (row.run_at !== null && row.run_at > now) {
    const updated = (await tx.row<JobRow>(SQL.toScheduled, [jobId, now])) as JobRow;
    await steps.event(tx, "job:scheduled", updated, now);
    return rowToJob(updated);
  }
  return rowToJob(await steps.queueAtTail(tx, row, now));
}

async function insertJob(tx: Tx, steps: TransitionSteps, deps: DependencySteps, job: NewJob, now: number): Promise<EnqueueResult> {
  if (job.idempotencyKey !== null) {
    const existing = await tx.row<JobRow>(SQL.jobByKey, [job.idempotencyKey]);
    if (existing !== undefined) return { job: rowToJob(existing), created: false };
  }
  const plan = await deps.plan(tx, job);
  const runAt = runAtOf(job, now);
  const status: JobStatus = plan?.status ?? initialStatus(job, runAt, now);
  const limited = job.limitKeys !== undefined && job.limitKeys.length > 0;
  const linked = plan !== null || job.parentId != null || job.flowId != null || limited;
  const ended = status === "FAILED" || status === "CANCELED";
  let inserted: { id: string } | undefined;
  try {
    inserted = await tx.row<{ id: string }>(SQL.insertJob, [
      job.id,
      job.task,
      job.queue,
      status,
      job.payloadText,
      job.maxAttempts,
      job.timeoutMs,
      JSON.stringify(job.backoff),
      job.retryOnTimeout,
      now,
      status === "PENDING" ? null : now,
      runAt,
      job.idempotencyKey,
      job.metaText,
      job.meta.projectId ?? null,
      job.meta.userId ?? null,
      job.resultTtlSeconds,
      job.failureTtlSeconds,
      job.schedule?.scheduleId ?? null,
      job.schedule?.fireAt ?? null,
      plan === null ? null : JSON.stringify(plan.ids),
      job.onDependencyFailure ?? null,
      plan?.ids.length ?? 0,
      plan?.waiting ?? 0,
      plan?.failed ?? 0,
      plan?.canceled ?? 0,
      job.parentId ?? null,
      job.flowId ?? null,
      limited ? JSON.stringify(job.limitKeys) : null,
      laneOf(job.limitKeys),
      plan?.error == null ? null : JSON.stringify(plan.error),
      ended ? now : null,
    ]);
  } catch (error) {
    // A caller's id that a job already has (the transaction then stores none of the batch).
    if (codeOf(error) === "23505" && (error as { constraint?: string }).constraint === "jobs_pkey") throw new InvalidOptionsError(`A job with id ${job.id} already exists`);
    throw error;
  }
  if (inserted === undefined) {
    // Another transaction (or an earlier job of this batch) took the key since it was read.
    const holder = (await tx.row<JobRow>(SQL.jobByKey, [job.idempotencyKey])) as JobRow;
    return { job: rowToJob(holder), created: false };
  }
  const type: JobEventType = EVENT_OF_NEW[status] ?? "job:enqueued";
  const data = plan?.error == null ? null : JSON.stringify({ error: plan.error });
  await tx.run(INSERT_EVENT, [now, type, job.id, job.queue, job.task, status, 0, null, data]);
  if (status === "QUEUED") tx.wake(job.queue);
  if (plan !== null) await deps.link(tx, job.id, plan);
  if (!linked) return { job: newJobRecord(job, status, now, runAt), created: true };
  return { job: rowToJob(await steps.require(tx, job.id)), created: true };
}

// The event a new job's timeline starts with, by the status it is stored in.
const EVENT_OF_NEW: Partial<Record<JobStatus, JobEventType>> & Record<"QUEUED", JobEventType> = {
  PENDING: "job:created",
  DEFERRED: "job:deferred",
  SCHEDULED: "job:scheduled",
  QUEUED: "job:enqueued",
  FAILED: "job:failed",
  CANCELED: "job:canceled",
};
