// The job hash of the Redis store: how a NewJob becomes script arguments and how a hash (as
// HGETALL returns it) becomes a Job. Field names stay inside this store.
import { dependencyError } from "../../core/dependency-rules.js";
import type { LimitKey } from "../../core/limits.js";
import type { JobEvent } from "../../core/events.js";
import type { DependencyCounts, DependencyFailurePolicy, Job, JobError, JobMeta, Json, NewJob, WorkerInfo } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import { newJobRecord } from "../../core/job-record.js";
import { JOB_DEFAULTS } from "../../core/job-rules.js";
import type { EnqueueResult } from "../../core/store.js";

// Options that never change after enqueue, stored as one short JSON array:
// [maxAttempts, timeoutMs, backoff.baseMs, backoff.maxMs, backoff.factor, backoff.jitter, retryOnTimeout].
// Short on purpose: hash values over 64 bytes make Redis switch the whole hash from its compact
// listpack encoding to a hashtable, which roughly triples the memory of a waiting job.
export type JobOpts = [number, number, number, number, number, number, 0 | 1];

let lastOpts: JobOpts | null = null;
let lastOptsText = "";

/** A job's options as stored; jobs enqueued one after another mostly share them (encoded once). */
function optsText(job: NewJob): string {
  const b = job.backoff;
  const opts: JobOpts = [job.maxAttempts, job.timeoutMs, b.baseMs, b.maxMs, b.factor, b.jitter, job.retryOnTimeout ? 1 : 0];
  if (lastOpts === null || opts.some((value, i) => value !== lastOpts?.[i])) {
    lastOpts = opts;
    lastOptsText = JSON.stringify(opts);
  }
  return lastOptsText;
}

/** What most jobs lack, sent as one JSON argument (names as enqueue.lua reads them). */
interface EnqueueExtra {
  m?: string;
  p?: string;
  u?: string;
  k?: string;
  h?: 1;
  d?: number;
  r?: number;
  /** The schedule that made the job, and its fire time. */
  s?: string;
  f?: number;
  /** The jobs it depends on (deduplicated), its policy when not `fail`, its owner and its flow. */
  n?: string[];
  y?: Exclude<DependencyFailurePolicy, "fail">;
  o?: string;
  g?: string;
  /** Its limit keys (decision 0023), as the `lk` field holds them (see encodeLimitKeys). */
  l?: string;
}

/** A job's limit keys as its hash field `lk` holds them: `name|key` pairs joined by NUL, its lane's pair first (names hold no `|`, keys no NUL). */
export function encodeLimitKeys(keys: readonly LimitKey[]): string {
  return keys.map((k) => `${k.name}|${k.key}`).join("\0");
}

/** The limit keys of a job from its `lk` field (none when absent). */
export function decodeLimitKeys(text: string | null | undefined): LimitKey[] {
  if (text === undefined || text === null || text === "") return [];
  return text.split("\0").map((pair) => {
    const bar = pair.indexOf("|");
    return { name: pair.slice(0, bar), key: pair.slice(bar + 1) };
  });
}

// Lone UTF-16 surrogates (Redis's JSON decoder refuses their escapes); they become U+FFFD, as
// they do when a string is sent to Redis as UTF-8 on its own.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, "\uFFFD");

/** Appends the enqueue script's 8 arguments for one job to `out`. */
export function enqueueArgs(job: NewJob, out: string[]): void {
  const extra: EnqueueExtra = {};
  if (job.metaText !== "{}") extra.m = job.metaText;
  // Empty strings count as absent, as the script treats them.
  if (job.meta.projectId) extra.p = wellFormed(job.meta.projectId);
  if (job.meta.userId) extra.u = wellFormed(job.meta.userId);
  if (job.idempotencyKey) extra.k = wellFormed(job.idempotencyKey);
  if (job.hold) extra.h = 1;
  if (job.delayMs !== null) extra.d = job.delayMs;
  if (job.runAt !== null) extra.r = job.runAt;
  if (job.schedule !== undefined) {
    extra.s = job.schedule.scheduleId;
    extra.f = job.schedule.fireAt;
  }
  if (job.dependsOn !== undefined && job.dependsOn.length > 0) extra.n = uniqueDependencies(job);
  if (job.onDependencyFailure !== undefined && job.onDependencyFailure !== "fail") extra.y = job.onDependencyFailure;
  if (job.parentId != null) extra.o = job.parentId;
  if (job.flowId != null) extra.g = job.flowId;
  if (job.limitKeys !== undefined && job.limitKeys.length > 0) extra.l = encodeLimitKeys(job.limitKeys);
  // Usually empty: then the argument is too.
  let any = false;
  for (const _ in extra) {
    any = true;
    break;
  }
  out.push(job.id, job.task, job.queue, job.payloadText, optsText(job), String(job.resultTtlSeconds), String(job.failureTtlSeconds), any ? JSON.stringify(extra) : "");
}

// A packed entry leaves out the values most jobs have: the job rules' defaults. includes/queued.lua
// names the same values PACKED_OPTS, PACKED_RTTL and PACKED_FTTL; job-hash.test.ts keeps them equal.
const D = JOB_DEFAULTS;
const DEFAULT_OPTS: JobOpts = [D.maxAttempts, D.timeoutMs, D.backoff.baseMs, D.backoff.maxMs, D.backoff.factor, D.backoff.jitter, D.retryOnTimeout ? 1 : 0];
export const PACKED_DEFAULTS = { opts: JSON.stringify(DEFAULT_OPTS), rttl: String(D.resultTtlSeconds), fttl: String(D.failureTtlSeconds) } as const;

/** A job's dependencies without repeats, in the order first named (as stores keep them). */
export function uniqueDependencies(job: NewJob): string[] {
  return job.dependsOn === undefined ? [] : [...new Set(job.dependsOn)];
}

/** Whether the job depends on, belongs to or is owned by other jobs (decision 0018). */
export function isLinked(job: NewJob): boolean {
  return (job.dependsOn !== undefined && job.dependsOn.length > 0) || job.parentId != null || job.flowId != null;
}

/**
 * Whether enqueue-plain.lua can store the job: an id the client made, straight to QUEUED, and
 * nothing that needs an index or a hash of its own (idempotency key, project, user, delay, the
 * schedule that made it, dependencies, an owner or a flow, limits: such a job waits in a lane).
 */
export function isPlain(job: NewJob): boolean {
  return (
    job.freshId === true && !job.idempotencyKey && !job.hold && job.delayMs === null && job.runAt === null && !job.meta.projectId && !job.meta.userId && job.schedule === undefined &&
    !isLinked(job) && (job.limitKeys === undefined || job.limitKeys.length === 0)
  );
}

/** Appends enqueue-plain.lua's 5 arguments for one plain job to `out`: the entry but its creation time. */
export function plainEnqueueArgs(job: NewJob, out: string[]): void {
  const opts = optsText(job);
  const rttl = String(job.resultTtlSeconds);
  const fttl = String(job.failureTtlSeconds);
  const tail = `\0${opts === PACKED_DEFAULTS.opts ? "" : opts}\0${rttl === PACKED_DEFAULTS.rttl ? "" : rttl}\0${fttl === PACKED_DEFAULTS.fttl ? "" : fttl}\0${job.payloadText}`;
  out.push(job.id, job.task, job.queue, job.metaText === "{}" ? "" : `\0\0${JSON.stringify({ m: job.metaText })}`, tail);
}

/** A hash as a field -> value map, from HGETALL's flat array. */
export function hashFields(flat: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(flat)) return fields;
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  return fields;
}

function num(value: string | undefined): number | null {
  return value === undefined || value === "" ? null : Number(value);
}

function json<T>(value: string | undefined): T | null {
  return value === undefined ? null : (JSON.parse(value) as T);
}

/** How a job's dependencies have ended, from its counters ('dt' total, 'dw' open, 'dfl' failed, 'dcx' canceled). */
export function dependencyCounts(total: number, waiting: number, failed: number, canceled: number): DependencyCounts {
  return { total, waiting, completed: total - waiting - failed - canceled, failed, canceled };
}

/** The dependency fields of a job record that has none (a packed job, say). */
export const NO_LINKS = { dependsOn: [], onDependencyFailure: "fail", dependencies: null, dependents: 0, parentId: null, flowId: null } as const;

/** A job record from its id and hash fields. */
export function decodeJob(id: string, f: Map<string, string>): Job {
  const total = num(f.get("dt"));
  const [maxAttempts, timeoutMs, baseMs, maxMs, factor, jitter, retryOnTimeout] = JSON.parse(f.get("opts") ?? "[]") as JobOpts;
  return {
    id,
    task: f.get("task") ?? "",
    payload: JSON.parse(f.get("payload") ?? "null") as Json,
    queue: f.get("queue") ?? "",
    status: (f.get("status") ?? "QUEUED") as JobStatus,
    attempt: num(f.get("attempt")) ?? 0,
    maxAttempts,
    timeoutMs,
    backoff: { baseMs, maxMs, factor, jitter },
    retryOnTimeout: retryOnTimeout === 1,
    createdAt: num(f.get("created")) ?? 0,
    enqueuedAt: num(f.get("enqueued")),
    startedAt: num(f.get("started")),
    completedAt: num(f.get("completed")),
    runAt: num(f.get("runAt")),
    progress: json<Json>(f.get("progress")),
    result: json<Json>(f.get("result")),
    error: json<Job["error"]>(f.get("error")),
    worker: f.get("worker") ?? null,
    meta: json<JobMeta>(f.get("meta")) ?? {},
    idempotencyKey: f.get("idem") ?? null,
    stalls: num(f.get("stalls")) ?? 0,
    // Only a retried job has the field: waiting jobs (most of them never retried) stay small.
    retries: num(f.get("retries")) ?? 0,
    resultTtlSeconds: num(f.get("rttl")) ?? 0,
    failureTtlSeconds: num(f.get("fttl")) ?? 0,
    scheduleId: f.get("sid") ?? null,
    fireAt: num(f.get("fire")),
    dependsOn: json<string[]>(f.get("deps")) ?? [],
    onDependencyFailure: (f.get("dpol") ?? "fail") as DependencyFailurePolicy,
    dependencies: total === null ? null : dependencyCounts(total, num(f.get("dw")) ?? 0, num(f.get("dfl")) ?? 0, num(f.get("dcx")) ?? 0),
    dependents: num(f.get("dn")) ?? 0,
    parentId: f.get("parent") ?? null,
    flowId: f.get("flow") ?? null,
    limitKeys: decodeLimitKeys(f.get("lk")),
    postponements: num(f.get("ppn")) ?? 0,
  };
}

const STATUS_LETTERS: Record<string, JobStatus> = { Q: "QUEUED", S: "SCHEDULED", P: "PENDING", D: "DEFERRED", F: "FAILED", C: "CANCELED" };

/**
 * One job's part of the enqueue script's reply: a status letter and run time ('Q', 'S1732…')
 * for a new job, then for a job with dependencies '/' and its open, failed and canceled counts
 * (and the 1-based index of the first failed or canceled one and 1 if it was canceled), or
 * {0, existingId, existingHash} for a job its idempotency key found. A new job's record is
 * built from the input instead of read back.
 */
export function decodeEnqueued(job: NewJob, entry: unknown, now: number): EnqueueResult {
  if (typeof entry === "string") {
    const status = STATUS_LETTERS[entry.charAt(0)] ?? "QUEUED";
    const slash = entry.indexOf("/");
    const head = slash < 0 ? entry : entry.slice(0, slash);
    const record = newJobRecord(job, status, now, head.length > 1 ? Number(head.slice(1)) : null);
    if (slash < 0) return { job: record, created: true };
    const [waiting = 0, failed = 0, canceled = 0, bad, badCanceled] = entry.slice(slash + 1).split(",").map(Number);
    const dependsOn = uniqueDependencies(job);
    record.dependsOn = dependsOn;
    record.dependencies = dependencyCounts(dependsOn.length, waiting, failed, canceled);
    if (status === "FAILED" || status === "CANCELED") record.completedAt = now;
    if (status === "FAILED" && bad !== undefined) record.error = dependencyError(dependsOn[bad - 1] ?? "", badCanceled === 1 ? "CANCELED" : "FAILED");
    return { job: record, created: true };
  }
  const [, id, hash] = entry as [0, string, unknown];
  return { job: decodeJob(id, hashFields(hash)), created: false };
}

// The status a job's first event shows, by its type ('init' in the hash).
const FIRST_STATUS: Partial<Record<JobEvent["type"], JobStatus>> = {
  "job:created": "PENDING", "job:scheduled": "SCHEDULED", "job:deferred": "DEFERRED", "job:failed": "FAILED", "job:canceled": "CANCELED",
};

/** A job's first event, rebuilt from its hash (scripts do not store it, to keep waiting jobs small). */
export function firstEvent(id: string, f: Map<string, string>): JobEvent {
  const type = (f.get("init") ?? "job:enqueued") as JobEvent["type"];
  const status = FIRST_STATUS[type] ?? "QUEUED";
  const event: JobEvent = { type, jobId: id, queue: f.get("queue") ?? "", task: f.get("task") ?? "", status, at: num(f.get("created")) ?? 0, attempt: 0, worker: null };
  // (A job that a dependency failed at enqueue: its error is the one it still has, unless retried since.)
  if (type === "job:failed" && (num(f.get("retries")) ?? 0) === 0) {
    const error = json<JobError>(f.get("error"));
    if (error !== null) event.error = error;
  }
  return event;
}

/**
 * The events of the latest attempt that its hash stands for instead of the timeline: a claim
 * writes no job:started entry, and a completion of an attempt that reported no progress writes
 * none either (`sf` marks that progress wrote the start, and so the rest, to the timeline).
 */
export function unstoredEvents(id: string, f: Map<string, string>): JobEvent[] {
  const status = f.get("status");
  const started = num(f.get("started"));
  if ((status !== "PROCESSING" && status !== "COMPLETED") || f.has("sf") || started === null) return [];
  const base = { jobId: id, queue: f.get("queue") ?? "", task: f.get("task") ?? "", attempt: num(f.get("attempt")) ?? 0, worker: f.get("worker") ?? null };
  const start: JobEvent = { ...base, type: "job:started", status: "PROCESSING", at: started, durationMs: started - (num(f.get("enqueued")) ?? started) };
  const completed = num(f.get("completed"));
  if (status === "PROCESSING" || completed === null) return [start];
  return [start, { ...base, type: "job:completed", status: "COMPLETED", at: completed, durationMs: completed - started }];
}

/** A timeline or stream entry as a JobEvent. */
export function decodeEvent(body: string, jobId: string, queue: string, task: string, seq?: string): JobEvent {
  const parsed = JSON.parse(body) as Omit<JobEvent, "jobId" | "queue" | "task">;
  const event: JobEvent = { ...parsed, jobId, queue, task };
  if (seq !== undefined) event.seq = seq;
  return event;
}

/** A registry entry from its stored JSON, with the server-time heartbeat. */
export function decodeWorker(text: string, heartbeatAt: number): WorkerInfo {
  // An entry written before workers published their tasks has none: it may run any task.
  const info = JSON.parse(text) as Omit<WorkerInfo, "tasks"> & { tasks?: string[] };
  return { ...info, tasks: info.tasks ?? [], heartbeatAt };
}
