// How jobs look in the terminal: one table row per job, or a page of details for one job.
import type { DependencyCounts, Job, QueueStats } from "../core/job.js";
import type { JobStatus } from "../core/job-states.js";
import { formatDuration } from "./duration.js";
import { renderPairs, renderTable } from "./table.js";

/** Columns of a job listing. */
const HEADERS = ["ID", "TASK", "QUEUE", "STATUS", "ATTEMPT", "CREATED", "DETAIL"];

/** A table of jobs, newest first as listed. */
export function renderJobs(jobs: readonly Job[], now = Date.now()): string {
  if (jobs.length === 0) return "No jobs match.";
  return renderTable(
    HEADERS,
    jobs.map((job) => [job.id, job.task, job.queue, job.status, `${job.attempt}/${job.maxAttempts}`, ago(job.createdAt, now), detail(job)]),
  );
}

/** Every field of one job that an operator looks at; `heldBy` says why a QUEUED job under limits is not running. */
export function renderJob(job: Job, now = Date.now(), heldBy: string | null = null): string {
  const pairs: Array<[string, string]> = [
    ["id", job.id],
    ["task", job.task],
    ["queue", job.queue],
    ["status", job.status],
    // A retry restarts the attempt count, so the retries are shown beside it.
    ["attempt", `${job.attempt} of ${job.maxAttempts}${job.retries > 0 ? ` (retried ${job.retries}×)` : ""}`],
    ["timeout", formatDuration(job.timeoutMs)],
    ["created", stamp(job.createdAt, now)],
  ];
  if (job.enqueuedAt !== null) pairs.push(["enqueued", stamp(job.enqueuedAt, now)]);
  if (job.runAt !== null) pairs.push(["run at", stamp(job.runAt, now)]);
  if (job.startedAt !== null) pairs.push(["started", stamp(job.startedAt, now)]);
  if (job.completedAt !== null) pairs.push(["finished", stamp(job.completedAt, now)]);
  if (job.worker !== null) pairs.push(["worker", job.worker]);
  if (job.stalls > 0) pairs.push(["stalls", String(job.stalls)]);
  if (job.idempotencyKey !== null) pairs.push(["idempotency key", job.idempotencyKey]);
  if (job.scheduleId !== null) pairs.push(["schedule", job.fireAt === null ? job.scheduleId : `${job.scheduleId}, fire time ${stamp(job.fireAt, now)}`]);
  pairs.push(...dependencyPairs(job));
  if (job.limitKeys.length > 0) pairs.push(["limits", job.limitKeys.map(({ name, key }) => `${name}=${key}`).join(", ")]);
  if (job.postponements > 0) pairs.push(["postponed", `${job.postponements}× (RetryAfter; not counted as attempts)`]);
  if (heldBy !== null) pairs.push(["held by", heldBy]);
  pairs.push(["payload", JSON.stringify(job.payload)]);
  if (Object.keys(job.meta).length > 0) pairs.push(["meta", JSON.stringify(job.meta)]);
  if (job.progress !== null) pairs.push(["progress", JSON.stringify(job.progress)]);
  if (job.result !== null) pairs.push(["result", JSON.stringify(job.result)]);
  if (job.error !== null) pairs.push(["error", `${job.error.code}: ${job.error.message}`]);
  return renderPairs(pairs);
}

// A batch's callback may depend on 10,000 jobs: the page names the first few, `caudex tree` the rest.
const DEPENDS_ON_NAMED = 10;

/** The dependency lines of a job's page: what it waits for and how those ended, who waits for it, its flow. */
function dependencyPairs(job: Job): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (job.dependsOn.length > 0) {
    const named = job.dependsOn.slice(0, DEPENDS_ON_NAMED).join(", ");
    const more = job.dependsOn.length - DEPENDS_ON_NAMED;
    pairs.push(["depends on", more > 0 ? `${named} and ${more} more` : named]);
  }
  if (job.dependencies !== null) {
    pairs.push(["dependencies", dependencySummary(job.dependencies)]);
    pairs.push(["on dependency failure", job.onDependencyFailure]);
  }
  if (job.dependents > 0) pairs.push(["dependents", String(job.dependents)]);
  if (job.parentId !== null) pairs.push(["parent", job.parentId]);
  if (job.flowId !== null) pairs.push(["flow", job.flowId === job.id ? `${job.flowId} (this job is its root)` : job.flowId]);
  return pairs;
}

/** "3 of 5 final: 2 completed, 1 failed, 0 canceled; 2 waiting". */
export function dependencySummary(counts: DependencyCounts): string {
  const final = counts.total - counts.waiting;
  return `${final} of ${counts.total} final: ${counts.completed} completed, ${counts.failed} failed, ${counts.canceled} canceled; ${counts.waiting} waiting`;
}

/** A percentage found in a job's progress ({percent: n} or a bare number), if any. */
export function progressPercent(job: Job): number | null {
  const p = job.progress;
  if (typeof p === "number") return p;
  if (typeof p === "object" && p !== null && !Array.isArray(p) && typeof p.percent === "number") return p.percent;
  return null;
}

function detail(job: Job): string {
  if (job.error !== null) return `${job.error.code}: ${job.error.message}`;
  if (job.status === "PROCESSING" && job.worker !== null) return `on ${job.worker}`;
  if (job.status === "SCHEDULED" && job.runAt !== null) return `runs ${stamp(job.runAt, Date.now())}`;
  if (job.status === "DEFERRED" && job.dependencies !== null) return `waits for ${job.dependencies.waiting} of ${job.dependencies.total}`;
  return "";
}

/** "3m 20s ago" or "in 5h 2m". */
export function ago(at: number, now: number): string {
  return now >= at ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
}

/** An ISO time with its distance from now. */
export function stamp(at: number, now: number): string {
  return `${new Date(at).toISOString()} (${ago(at, now)})`;
}

/** How many jobs have `status`, in one queue or (undefined) in all of them. */
export function countWithStatus(stats: readonly QueueStats[], status: JobStatus, queue: string | undefined): number {
  return stats.filter((s) => queue === undefined || s.queue === queue).reduce((sum, s) => sum + s.counts[status], 0);
}
