// Claimed jobs of the Redis store: how the claim script's records (a packed list entry as it
// is, or one JSON array per job that has a hash) become ClaimedJob records with their lease.
import type { ClaimedJob, DependencyFailurePolicy, Job, JobMeta, Json } from "../../core/job.js";
import { decodeLimitKeys, dependencyCounts, NO_LINKS, PACKED_DEFAULTS, type JobOpts } from "./job-hash.js";

/**
 * A claimed job as the claim script sends it: one JSON array per job, so the worker parses one
 * string instead of a flat hash, and stored JSON values (payload, options, meta) come parsed.
 * What every job of a claim shares (ClaimShared) comes once per reply, not in each record.
 */
type ClaimRecord = [
  id: string, task: string, queue: string, payload: Json, opts: JobOpts, meta: JobMeta | null, idem: string | null,
  attempt: number, created: number, enqueued: number | null, runAt: number | null,
  progress: Json, error: Job["error"], stalls: number, rttl: number, fttl: number, retries: number,
  // Only for a job a schedule made, or (null then) one with dependencies, dependents, an owner or a flow.
  scheduleId?: string | null, fireAt?: number | null,
  // Only for a job with dependencies, dependents, an owner or a flow: 'deps', 'dpol', 'dt', 'dw', 'dfl', 'dcx', 'dn', 'parent', 'flow'.
  dependsOn?: string[] | null, policy?: DependencyFailurePolicy | null, total?: number | null, waiting?: number, failed?: number, canceled?: number,
  dependents?: number, parentId?: string | null, flowId?: string | null,
  // Only for a job under limits or postponed (decision 0023): its 'lk' text and postponements.
  limitKeys?: string | null, postponements?: number,
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
    idempotencyKey: null, stalls: 0, retries: 0, scheduleId: null, fireAt: null, ...NO_LINKS, dependsOn: [], limitKeys: [], postponements: 0,
    resultTtlSeconds: Number(rttl === "" ? PACKED_DEFAULTS.rttl : rttl), failureTtlSeconds: Number(fttl === "" ? PACKED_DEFAULTS.fttl : fttl),
    leaseToken: shared.token, leaseExpiresAt: shared.leaseExpiresAt,
  };
}

function claimedJob(record: ClaimRecord, shared: ClaimShared): ClaimedJob {
  const [id, task, queue, payload, opts, meta, idem, attempt, created, enqueued, runAt, progress, error, stalls, rttl, fttl, retries, scheduleId, fireAt] = record;
  const [, , , , , , , , , , , , , , , , , , , dependsOn, policy, total, waiting, failed, canceled, dependents, parentId, flowId, limitKeys, postponements] = record;
  const [maxAttempts, timeoutMs, baseMs, maxMs, factor, jitter, retryOnTimeout] = opts;
  return {
    id, task, payload, queue, status: "PROCESSING", attempt, maxAttempts, timeoutMs,
    backoff: { baseMs, maxMs, factor, jitter },
    retryOnTimeout: retryOnTimeout === 1,
    createdAt: created, enqueuedAt: enqueued, startedAt: shared.started, completedAt: null, runAt,
    progress, result: null, error, worker: shared.worker, meta: meta ?? {}, idempotencyKey: idem, stalls,
    retries, resultTtlSeconds: rttl, failureTtlSeconds: fttl, scheduleId: scheduleId ?? null, fireAt: fireAt ?? null,
    dependsOn: dependsOn ?? [], onDependencyFailure: policy ?? "fail",
    dependencies: total == null ? null : dependencyCounts(total, waiting ?? 0, failed ?? 0, canceled ?? 0),
    dependents: dependents ?? 0, parentId: parentId ?? null, flowId: flowId ?? null,
    limitKeys: decodeLimitKeys(limitKeys), postponements: postponements ?? 0,
    leaseToken: shared.token, leaseExpiresAt: shared.leaseExpiresAt,
  };
}
