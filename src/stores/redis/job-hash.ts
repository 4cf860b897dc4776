// The job hash of the Redis store: how a NewJob becomes script arguments and how a hash (as
// HGETALL returns it) becomes a Job. Field names stay inside this store.
import type { JobEvent } from "../../core/events.js";
import type { ClaimedJob, Job, JobMeta, Json, NewJob, WorkerInfo } from "../../core/job.js";
import type { JobStatus } from "../../core/job-states.js";
import { newJobRecord } from "../../core/job-record.js";
import { JOB_DEFAULTS } from "../../core/job-rules.js";
import type { EnqueueResult } from "../../core/store.js";

// Options that never change after enqueue, stored as one short JSON array:
// [maxAttempts, timeoutMs, backoff.baseMs, backoff.maxMs, backoff.factor, backoff.jitter, retryOnTimeout].
// Short on purpose: hash values over 64 bytes make Redis switch the whole hash from its compact
// listpack encoding to a hashtable, which roughly triples the memory of a waiting job.
type JobOpts = [number, number, number, number, number, number, 0 | 1];

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

/**
 * Whether enqueue-plain.lua can store the job: an id the client made, straight to QUEUED, and
 * nothing that needs an index or a hash of its own (idempotency key, project, user, delay, the
 * schedule that made it).
 */
export function isPlain(job: NewJob): boolean {
  return (
    job.freshId === true && !job.idempotencyKey && !job.hold && job.delayMs === null && job.runAt === null && !job.meta.projectId && !job.meta.userId && job.schedule === undefined
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

/** A job record from its id and hash fields. */
export function decodeJob(id: string, f: Map<string, string>): Job {
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
  };
}

/**
 * A claimed job as the claim script sends it: one JSON array per job, so the worker parses one
 * string instead of a flat hash, and stored JSON values (payload, options, meta) come parsed.
 * What every job of a claim shares (ClaimShared) comes once per reply, not in each record.
 */
type ClaimRecord = [
  id: string, task: string, queue: string, payload: Json, opts: JobOpts, meta: JobMeta | null, idem: string | null,
  attempt: number, created: number, enqueued: number | null, runAt: number | null,
  progress: Json, error: Job["error"], stalls: number, rttl: number, fttl: number, retries: number,
  // Only for a job a schedule made.
  scheduleId?: string, fireAt?: number | null,
];

/** The parts of a claim common to all its jobs. */
export interface ClaimShared {
  started: number;
  leaseExpiresAt: number;
  worker: string;
  /** The claim's lease token, which every job of the claim carries. */
  token: string;
}

/**
 * The claimed jobs, with their leases, from the claim script's records: per job a packed list
 * entry (after '\x01' and the name of the queue it came from) or a JSON ClaimRecord; see claim.lua.
 */
export function decodeClaimed(records: readonly string[], shared: ClaimShared): ClaimedJob[] {
  const jobs: ClaimedJob[] = [];
  let queue = "";
  for (const text of records) {
    const kind = text.charCodeAt(0);
    if (kind === 1) queue = text.slice(1);
    else jobs.push(kind === 0 ? packedJob(text, queue, shared) : claimedJob(JSON.parse(text) as ClaimRecord, shared));
  }
  return jobs;
}

// The usual options of a packed entry (an empty opts field), parsed once.
let defaultOpts: JobOpts | null = null;

/**
 * A claimed job from its packed entry ('\0' id '\0' task '\0' created '\0' opts '\0' rttl '\0'
 * fttl '\0' payload, with '\0\0' extra JSON in front when the job has meta, project or user): its
 * first attempt; empty opts, rttl and fttl stand for PACKED_DEFAULTS. (Built directly, without a
 * ClaimRecord: this is the drain's hot path.)
 */
function packedJob(entry: string, queue: string, shared: ClaimShared): ClaimedJob {
  const parts = entry.split("\0");
  // parts[0] is ''; with an extra, parts[1] is '' too and parts[2] the extra. The payload is
  // JSON text, which never holds a NUL, so it is the last part whole.
  const at = parts[1] === "" ? 3 : 1;
  const meta = at === 3 ? (JSON.parse(parts[2] as string) as { m?: string }).m : undefined;
  const optsText = parts[at + 3] as string;
  const opts = optsText === "" ? (defaultOpts ??= JSON.parse(PACKED_DEFAULTS.opts) as JobOpts) : (JSON.parse(optsText) as JobOpts);
  const [maxAttempts, timeoutMs, baseMs, maxMs, factor, jitter, retryOnTimeout] = opts;
  const created = Number(parts[at + 2]);
  const rttl = parts[at + 4] as string;
  const fttl = parts[at + 5] as string;
  return {
    id: parts[at] as string, task: parts[at + 1] as string, payload: JSON.parse(parts[at + 6] as string) as Json, queue, status: "PROCESSING",
    attempt: 1, maxAttempts, timeoutMs, backoff: { baseMs, maxMs, factor, jitter }, retryOnTimeout: retryOnTimeout === 1,
    createdAt: created, enqueuedAt: created, startedAt: shared.started, completedAt: null, runAt: null,
    progress: null, result: null, error: null, worker: shared.worker, meta: meta === undefined ? {} : (JSON.parse(meta) as JobMeta),
    idempotencyKey: null, stalls: 0, retries: 0, scheduleId: null, fireAt: null,
    resultTtlSeconds: Number(rttl === "" ? PACKED_DEFAULTS.rttl : rttl), failureTtlSeconds: Number(fttl === "" ? PACKED_DEFAULTS.fttl : fttl),
    leaseToken: shared.token, leaseExpiresAt: shared.leaseExpiresAt,
  };
}

function claimedJob(record: ClaimRecord, shared: ClaimShared): ClaimedJob {
  const [id, task, queue, payload, opts, meta, idem, attempt, created, enqueued, runAt, progress, error, stalls, rttl, fttl, retries, scheduleId, fireAt] = record;
  const [maxAttempts, timeoutMs, baseMs, maxMs, factor, jitter, retryOnTimeout] = opts;
  return {
    id, task, payload, queue, status: "PROCESSING", attempt, maxAttempts, timeoutMs,
    backoff: { baseMs, maxMs, factor, jitter },
    retryOnTimeout: retryOnTimeout === 1,
    createdAt: created, enqueuedAt: enqueued, startedAt: shared.started, completedAt: null, runAt,
    progress, result: null, error, worker: shared.worker, meta: meta ?? {}, idempotencyKey: idem, stalls,
    retries, resultTtlSeconds: rttl, failureTtlSeconds: fttl, scheduleId: scheduleId ?? null, fireAt: fireAt ?? null,
    leaseToken: shared.token, leaseExpiresAt: shared.leaseExpiresAt,
  };
}

const STATUS_LETTERS: Record<string, JobStatus> = { Q: "QUEUED", S: "SCHEDULED", P: "PENDING" };

/**
 * One job's part of the enqueue script's reply: a status letter and run time ('Q', 'S1732…')
 * for a new job, or {0, existingId, existingHash} for a job its idempotency key found. A new
 * job's record is built from the input instead of read back.
 */
export function decodeEnqueued(job: NewJob, entry: unknown, now: number): EnqueueResult {
  if (typeof entry === "string") {
    const status = STATUS_LETTERS[entry.charAt(0)] ?? "QUEUED";
    return { job: newJobRecord(job, status, now, entry.length > 1 ? Number(entry.slice(1)) : null), created: true };
  }
  const [, id, hash] = entry as [0, string, unknown];
  return { job: decodeJob(id, hashFields(hash)), created: false };
}

/** A job's first event, rebuilt from its hash (scripts do not store it, to keep waiting jobs small). */
export function firstEvent(id: string, f: Map<string, string>): JobEvent {
  const type = (f.get("init") ?? "job:enqueued") as JobEvent["type"];
  const status: JobStatus = type === "job:created" ? "PENDING" : type === "job:scheduled" ? "SCHEDULED" : "QUEUED";
  return { type, jobId: id, queue: f.get("queue") ?? "", task: f.get("task") ?? "", status, at: num(f.get("created")) ?? 0, attempt: 0, worker: null };
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
  return { ...(JSON.parse(text) as WorkerInfo), heartbeatAt };
}
