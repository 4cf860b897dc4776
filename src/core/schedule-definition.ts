// Checking a schedule declaration and turning it into what a store keeps: the timing
// normalised, the job's options resolved once (enqueue's rules, the task's options, the
// defaults), and canonical texts that tell an identical upsert from a change.
import { buildNewJob, type ClientDefaults } from "./enqueue-options.js";
import { InvalidScheduleError } from "./errors.js";
import type { Json } from "./job.js";
import { JOB_BOUNDS, SCHEDULE_BOUNDS, isValidTaskName } from "./job-rules.js";
import type { JsonLimits } from "./json.js";
import type { CatchUp, NewSchedule, Overlap, ScheduleDefinition } from "./schedule.js";
import { timingOf } from "./schedule-timing.js";
import { validatePayload, type TaskDefinition, type TaskRegistry } from "./task.js";

/** What checking a schedule needs: the job defaults, the JSON limits and, when known, the tasks. */
export interface ScheduleContext {
  defaults: ClientDefaults;
  jsonLimits: JsonLimits;
  tasks: TaskRegistry | null;
}

const SCHEDULE_ID = new RegExp(SCHEDULE_BOUNDS.idPattern);
const OVERLAPS: readonly Overlap[] = ["allow", "skip", "one_waiting"];

/** A schedule declared in code, next to its task; give it to a Worker (`schedules`) or export it from the tasks module. */
export interface DeclaredSchedule extends ScheduleDefinition {
  readonly kind: "caudex.schedule";
}

/** Declares a schedule; it is upserted when a worker or server that knows it starts. */
export function defineSchedule(definition: ScheduleDefinition): DeclaredSchedule {
  return { ...definition, kind: "caudex.schedule" };
}

/** True when `value` was made by defineSchedule. */
export function isDeclaredSchedule(value: unknown): value is DeclaredSchedule {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "caudex.schedule";
}

/** Checks a definition (id, timing, task, payload, job options, policies) and normalises it; throws INVALID_SCHEDULE, UNKNOWN_TASK, INVALID_PAYLOAD or INVALID_OPTIONS. */
export async function prepareSchedule(definition: ScheduleDefinition, context: ScheduleContext): Promise<NewSchedule> {
  if (typeof definition.id !== "string" || !SCHEDULE_ID.test(definition.id))
    throw new InvalidScheduleError(`Invalid schedule id "${String(definition.id)}": use letters, digits, _ . : - (max 128)`);
  const timing = timingOf(definition);
  const task = definition.task;
  if (typeof task !== "string" || !isValidTaskName(task)) throw new InvalidScheduleError(`Schedule ${definition.id}: invalid task name "${String(task)}"`);
  const known: TaskDefinition | undefined = context.tasks === null ? undefined : context.tasks.require(task);
  const payload: Json = definition.payload === undefined ? {} : definition.payload;
  if (known !== undefined) await validatePayload(known, payload);
  // The job is built once, as enqueue would build it, so every rule of an enqueue applies.
  const job = buildNewJob({ task, taskOptions: known?.options ?? {}, payload, options: definition.job ?? {}, defaults: context.defaults, jsonLimits: context.jsonLimits, hold: false });
  const catchUp = catchUpOf(definition.id, definition.catchUp);
  // One fire call carries every job of its fires (a backfill after an outage, plus the on-time
  // ones): bounded like an enqueueMany, so that no fire can grow past what one store call takes.
  const firesPerCall = (typeof catchUp === "object" ? catchUp.backfill : 1) + Math.ceil(SCHEDULE_BOUNDS.misfireGraceMs / SCHEDULE_BOUNDS.minEveryMs) + 1;
  const bytes = Buffer.byteLength(job.payloadText) + Buffer.byteLength(job.metaText);
  if (bytes * firesPerCall > JOB_BOUNDS.maxEnqueueBatchBytes)
    throw new InvalidScheduleError(`Schedule ${definition.id}: payload and meta (${bytes} bytes) times the ${firesPerCall} jobs one fire may make exceed ${JOB_BOUNDS.maxEnqueueBatchBytes} bytes; use a smaller payload or backfill`);
  const overlap = definition.overlap ?? "allow";
  if (!OVERLAPS.includes(overlap)) throw new InvalidScheduleError(`Schedule ${definition.id}: overlap must be one of ${OVERLAPS.join(", ")}`);
  const spec = {
    task,
    payload,
    queue: job.queue,
    timeoutMs: job.timeoutMs,
    maxAttempts: job.maxAttempts,
    backoff: job.backoff,
    retryOnTimeout: job.retryOnTimeout,
    meta: job.meta,
    resultTtlSeconds: job.resultTtlSeconds,
    failureTtlSeconds: job.failureTtlSeconds,
  };
  const timingText = canonicalJson(timing);
  const definitionText = canonicalJson({ id: definition.id, timing, job: spec, catchUp, overlap });
  return { id: definition.id, timing, job: spec, catchUp, overlap, definitionText, timingText };
}

function catchUpOf(id: string, value: CatchUp | undefined): CatchUp {
  if (value === undefined || value === "latest" || value === "none") return value ?? "latest";
  const n = typeof value === "object" && value !== null ? (value as { backfill?: unknown }).backfill : undefined;
  if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= SCHEDULE_BOUNDS.maxBackfill) return { backfill: n };
  throw new InvalidScheduleError(`Schedule ${id}: catchUp must be "latest", "none" or { backfill: 1..${SCHEDULE_BOUNDS.maxBackfill} }`);
}

/** JSON with object keys sorted at every level, so equal values give equal texts. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
