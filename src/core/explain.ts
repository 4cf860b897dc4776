// Why a job is not running (or not finished): the ordered reasons, each with a stable code,
// computed from the job, its queue's stats, the live workers' registry entries and the store's
// bounded read of the job's place. Reads only; the shapes over HTTP are the server's business.
import { JobNotFoundError } from "./errors.js";
import type { Job, QueueStats, WorkerInfo } from "./job.js";
import type { JobStatus } from "./job-states.js";
import { isFinal } from "./job-states.js";
import type { LimitKey } from "./limits.js";
import type { Limits } from "./limit-control.js";
import type { JobPlace, Store } from "./store.js";
import { LIVE_WORKER_WINDOW_MS } from "./worker-registry.js";

/** The reason codes, in the order an explanation lists them. */
export const EXPLAIN_CODES = [
  "FINISHED",
  "RUNNING",
  "PENDING",
  "SCHEDULED_UNTIL",
  "RETRY_BACKOFF_UNTIL",
  "WAITING_FOR_DEPENDENCIES",
  "HELD_BY_LIMIT",
  "QUEUE_PAUSED",
  "NO_WORKER_FOR_QUEUE",
  "NO_WORKER_FOR_TASK",
  "BEHIND_HIGHER_PRIORITY",
  "WORKERS_BUSY",
  "QUEUE_POSITION",
  "LEASE_HELD_BY_GONE_WORKER",
] as const;

/** A stable reason code (docs/explain.md lists each with its fields). */
export type ExplainCode = (typeof EXPLAIN_CODES)[number];

/** A dependency that has not finished yet, as a reason names it. */
export interface WaitingDependency {
  id: string;
  task: string;
  status: JobStatus;
}

/** One reason; which optional fields it carries depends on its code (docs/explain.md). */
export interface ExplainReason {
  code: ExplainCode;
  /** One sentence for people. */
  message: string;
  /** Store time it lasts until: a run time, a retry's time, a lease's expiry. */
  until?: number;
  queue?: string;
  task?: string;
  worker?: string;
  status?: JobStatus;
  attempt?: number;
  /** Jobs waiting ahead: in its queue (QUEUE_POSITION) or in higher-priority queues. */
  ahead?: number;
  /** `ahead` is a lower bound: the count stopped at EXPLAIN_BOUNDS.positionBound. */
  atLeast?: boolean;
  /** The higher-priority queues with waiting jobs (BEHIND_HIGHER_PRIORITY). */
  queues?: string[];
  /** Unfinished dependencies, at most EXPLAIN_BOUNDS.dependenciesShown. */
  dependencies?: WaitingDependency[];
  /** Dependencies not final yet, and all of them. */
  waiting?: number;
  total?: number;
  limitKeys?: LimitKey[];
  /** Live workers that would run the job, and their slots (WORKERS_BUSY). */
  workers?: number;
  slots?: number;
}

/** A job's explanation: its status and the reasons, most decisive first. */
export interface Explanation {
  jobId: string;
  status: JobStatus;
  reasons: ExplainReason[];
}

/** Bounds of an explanation's reads. */
export const EXPLAIN_BOUNDS = {
  /** Most waiting jobs counted ahead of a job; past it the count says "at least". */
  positionBound: 1000,
  /** Dependencies read to find the unfinished ones (the counts cover all of them). */
  dependenciesRead: 200,
  /** Unfinished dependencies a reason names. */
  dependenciesShown: 20,
} as const;

/** What an explanation reads, gathered once. */
interface Facts {
  job: Job;
  now: number;
  stats: QueueStats | undefined;
  allStats: readonly QueueStats[];
  /** Live workers that are not stopping. */
  live: WorkerInfo[];
}

/** Whether a worker may run `task`: it runs it, or it does not say which tasks it runs. */
export function runsTask(worker: WorkerInfo, task: string): boolean {
  return worker.tasks.length === 0 || worker.tasks.includes(task);
}

/** Live (not stopping) workers that listen on `queue` and may run `task`. */
function servingWorkers(workers: readonly WorkerInfo[], queue: string, task: string): WorkerInfo[] {
  return workers.filter((w) => w.queues.includes(queue) && runsTask(w, task));
}

/**
 * What stops a job of `task` on `queue` from ever starting with the workers there are: no live
 * worker listens on the queue, or none of those runs the task. Shared by explanations and the
 * warnings of an enqueue.
 */
export function workerReasons(workers: readonly WorkerInfo[], queue: string, task: string): ExplainReason[] {
  const live = workers.filter((w) => w.state !== "stopping");
  const listening = live.filter((w) => w.queues.includes(queue));
  if (listening.length === 0) {
    const others = live.length === 0 ? "no worker is live" : `live workers listen on ${[...new Set(live.flatMap((w) => w.queues))].sort().join(", ")}`;
    return [{ code: "NO_WORKER_FOR_QUEUE", queue, message: `No live worker listens on queue ${queue} (${others})` }];
  }
  if (listening.some((w) => runsTask(w, task))) return [];
  const elsewhere = live.filter((w) => runsTask(w, task)).map((w) => w.name);
  const hint = elsewhere.length === 0 ? "no live worker has it" : `it runs on ${elsewhere.join(", ")}, which do not listen on ${queue}`;
  return [{ code: "NO_WORKER_FOR_TASK", queue, task, message: `No live worker of queue ${queue} runs task ${task} (${hint}); a worker of the queue that claims it fails it with UNKNOWN_TASK` }];
}

/** Computes explanations on a store; reached as `client.explain(id)`. */
export class Explainer {
  constructor(
    private readonly store: Store,
    private readonly limits: Limits,
  ) {}

  /** Why the job is not running or not finished; JOB_NOT_FOUND for an unknown id. */
  async explain(jobId: string): Promise<Explanation> {
    const job = await this.store.getJob(jobId);
    if (job === null) throw new JobNotFoundError(jobId);
    if (isFinal(job.status)) {
      const at = job.completedAt === null ? "" : ` at ${new Date(job.completedAt).toISOString()}`;
      return { jobId, status: job.status, reasons: [{ code: "FINISHED", status: job.status, message: `The job is ${job.status}${at}: it will not run again unless retried` }] };
    }
    const [now, allStats, workers, place] = await Promise.all([
      this.store.now(),
      this.store.stats(),
      this.store.listWorkers(LIVE_WORKER_WINDOW_MS),
      job.status === "QUEUED" || job.status === "PROCESSING" ? this.store.jobPlace(jobId, EXPLAIN_BOUNDS.positionBound) : Promise.resolve(null),
    ]);
    const facts: Facts = { job, now, allStats, stats: allStats.find((s) => s.queue === job.queue), live: workers.filter((w) => w.state !== "stopping") };
    if (job.status === "PROCESSING") return { jobId, status: job.status, reasons: [runningReason(facts, workers, place)] };
    const reasons: ExplainReason[] = [...(await this.ownReasons(facts)), ...queueReasons(facts)];
    if (job.status === "QUEUED") reasons.push(...capacityReasons(facts), ...positionReason(job, place));
    return { jobId, status: job.status, reasons };
  }

  /** What holds this job in its own status: its run time, its retry, its dependencies, a limit, a hold. */
  private async ownReasons({ job, now }: Facts): Promise<ExplainReason[]> {
    switch (job.status) {
      case "PENDING":
        return [{ code: "PENDING", message: "The job was created on hold: it waits for enqueuePending before it can run" }];
      case "SCHEDULED":
        return [scheduledReason(job, now)];
      case "DEFERRED":
        return [await this.dependencyReason(job)];
      case "QUEUED": {
        const hold = await this.limits.holdOf(job);
        return hold === null ? [] : [{ code: "HELD_BY_LIMIT", limitKeys: job.limitKeys, message: `Held back: ${hold}` }];
      }
      default:
        return [];
    }
  }

  private async dependencyReason(job: Job): Promise<ExplainReason> {
    const counts = job.dependencies;
    const read = await this.store.getJobs(job.dependsOn.slice(0, EXPLAIN_BOUNDS.dependenciesRead));
    const unfinished = read.filter((d) => !isFinal(d.status)).slice(0, EXPLAIN_BOUNDS.dependenciesShown);
    const total = counts?.total ?? job.dependsOn.length;
    const waiting = counts?.waiting ?? unfinished.length;
    const named = unfinished.map((d) => `${d.id} (${d.task}, ${d.status})`).join(", ");
    return {
      code: "WAITING_FOR_DEPENDENCIES",
      waiting,
      total,
      dependencies: unfinished.map((d) => ({ id: d.id, task: d.task, status: d.status })),
      message: `Waiting for ${waiting} of ${total} dependencies to finish${named === "" ? "" : `: ${named}`}${waiting > unfinished.length && unfinished.length > 0 ? ", …" : ""}`,
    };
  }
}

function scheduledReason(job: Job, now: number): ExplainReason {
  const until = job.runAt ?? now;
  const when = until <= now ? `was due at ${new Date(until).toISOString()}: the next claim or maintenance tick queues it` : `until ${new Date(until).toISOString()}`;
  if (job.error !== null && job.attempt > 0) {
    return {
      code: "RETRY_BACKOFF_UNTIL",
      until,
      attempt: job.attempt,
      message: `Attempt ${job.attempt} of ${job.maxAttempts} failed (${job.error.code}: ${job.error.message}); the retry waits ${when}`,
    };
  }
  return { code: "SCHEDULED_UNTIL", until, message: `Scheduled: it waits ${when}` };
}

/** What the queue and its workers do to any job of it that is not running: pause, no worker, no worker with its task. */
function queueReasons({ job, stats, live }: Facts): ExplainReason[] {
  const reasons: ExplainReason[] = [];
  if (stats?.paused === true) reasons.push({ code: "QUEUE_PAUSED", queue: job.queue, message: `Queue ${job.queue} is paused: no job of it starts until it is resumed` });
  reasons.push(...workerReasons(live, job.queue, job.task));
  return reasons;
}

/** For a QUEUED job with workers for it: every slot busy, and the jobs of higher-priority queues first. */
function capacityReasons({ job, live, allStats }: Facts): ExplainReason[] {
  const serving = servingWorkers(live, job.queue, job.task);
  if (serving.length === 0) return [];
  const reasons: ExplainReason[] = [];
  // Strict priority: a worker takes this job only once its queues listed before this one are
  // empty (paused ones are not claimed). The least loaded worker decides how many come first.
  // Said before busy slots: even a slot that frees goes to those jobs first.
  const waiting = new Map(allStats.filter((s) => !s.paused).map((s) => [s.queue, s.counts.QUEUED]));
  let best: { ahead: number; queues: string[] } | null = null;
  for (const worker of serving) {
    const higher = worker.queues.slice(0, worker.queues.indexOf(job.queue)).filter((q) => (waiting.get(q) ?? 0) > 0);
    const ahead = higher.reduce((sum, q) => sum + (waiting.get(q) ?? 0), 0);
    if (best === null || ahead < best.ahead) best = { ahead, queues: higher };
  }
  if (best !== null && best.ahead > 0) {
    reasons.push({ code: "BEHIND_HIGHER_PRIORITY", queue: job.queue, ahead: best.ahead, queues: best.queues, message: `Behind ${best.ahead} job(s) of higher-priority queue(s) ${best.queues.join(", ")}` });
  }
  // As of the workers' last heartbeats (a third of their lease time apart).
  const slots = serving.reduce((sum, w) => sum + w.concurrency, 0);
  if (serving.every((w) => w.currentJobs.length >= w.concurrency)) {
    reasons.push({ code: "WORKERS_BUSY", queue: job.queue, workers: serving.length, slots, message: `Every slot of the ${serving.length} live worker(s) for it is busy (${slots} of ${slots} running)` });
  }
  return reasons;
}

/** Its place in its queue; none when it left QUEUED between the reads. */
function positionReason(job: Job, place: JobPlace | null): ExplainReason[] {
  if (place === null || place.ahead === null) return [];
  const ahead = place.ahead;
  const atLeast = place.aheadAtLeast;
  const where = job.limitKeys.length > 0 ? `in queue ${job.queue} (its lane of ${job.limitKeys[0]?.name}=${job.limitKeys[0]?.key})` : `in queue ${job.queue}`;
  const message = ahead === 0 && !atLeast ? `Next ${where}` : `${atLeast ? "At least " : ""}${ahead} job(s) wait ahead of it ${where}`;
  return [{ code: "QUEUE_POSITION", queue: job.queue, ahead, atLeast, message }];
}

function runningReason({ job, now, live }: Facts, workers: readonly WorkerInfo[], place: JobPlace | null): ExplainReason {
  const worker = job.worker ?? "";
  const holder = workers.find((w) => w.name === worker);
  const gone = holder === undefined || (place?.leaseIncarnation != null && holder.incarnation !== place.leaseIncarnation);
  if (!gone) {
    const state = live.includes(holder) ? "" : " (stopping)";
    return { code: "RUNNING", worker, message: `Running on worker ${worker}${state} since ${new Date(job.startedAt ?? now).toISOString()}` };
  }
  const until = place?.leaseExpiresAt ?? null;
  const what = holder === undefined ? `Worker ${worker} holds its lease but has sent no heartbeat for ${LIVE_WORKER_WINDOW_MS / 1000} s` : `Its lease belongs to an earlier incarnation of worker ${worker}`;
  const when =
    until === null ? "" : until > now ? `; the lease expires at ${new Date(until).toISOString()}, then maintenance queues the job again` : `; the lease expired at ${new Date(until).toISOString()}: the next maintenance tick queues the job again`;
  return { code: "LEASE_HELD_BY_GONE_WORKER", worker, ...(until === null ? {} : { until }), message: `${what}${when}` };
}
