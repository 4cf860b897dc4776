// Schedules as the API shows them (snake_case, seconds, ISO 8601 UTC) and request bodies back
// into the core's ScheduleDefinition. The CLI's --json prints schedules through the same view.
import type { Client } from "../core/client.js";
import type { Job, Json } from "../core/job.js";
import type { JobStatus } from "../core/job-states.js";
import type { CatchUp, Overlap, Schedule, ScheduleDefinition, ScheduleJobOptions } from "../core/schedule.js";
import type { SchedulePage } from "../core/store.js";
import { iso, isoOrNull, metaFromBody, metaView } from "./views.js";

/** Body of PUT /schedules/:id after validation. */
export interface ScheduleBody {
  task: string;
  payload?: unknown;
  cron?: string;
  every?: string | number;
  tz?: string;
  queue?: string;
  timeout?: number;
  max_attempts?: number;
  meta?: Record<string, unknown>;
  catch_up?: CatchUp;
  overlap?: Overlap;
}

/** The core's definition of the schedule a PUT body declares (seconds become ms). */
export function definitionFromBody(id: string, body: ScheduleBody): ScheduleDefinition {
  const job: ScheduleJobOptions = {};
  if (body.queue !== undefined) job.queue = body.queue;
  if (body.timeout !== undefined) job.timeoutMs = Math.max(1, Math.round(body.timeout * 1000));
  if (body.max_attempts !== undefined) job.maxAttempts = body.max_attempts;
  if (body.meta !== undefined) job.meta = metaFromBody(body.meta);
  const definition: ScheduleDefinition = { id, task: body.task, job };
  if (body.payload !== undefined) definition.payload = body.payload as Json;
  if (body.cron !== undefined) definition.cron = body.cron;
  if (body.every !== undefined) definition.every = body.every;
  if (body.tz !== undefined) definition.tz = body.tz;
  if (body.catch_up !== undefined) definition.catchUp = body.catch_up;
  if (body.overlap !== undefined) definition.overlap = body.overlap;
  return definition;
}

/** What a schedule view shows of its last job: its id and, while it is still stored, its status. */
export interface LastJobView {
  job_id: string;
  status: JobStatus | null;
}

/** A schedule as the API shows it; `lastJob` is the job its lastJobId names, null once pruned. */
export function scheduleView(schedule: Schedule, lastJob: Job | null): Record<string, unknown> {
  const spec = schedule.job;
  const last: LastJobView | null = schedule.lastJobId === null ? null : { job_id: schedule.lastJobId, status: lastJob?.status ?? null };
  return {
    schedule_id: schedule.id,
    task: spec.task,
    payload: spec.payload,
    cron: schedule.timing.cron,
    tz: schedule.timing.tz,
    every: schedule.timing.everyMs === null ? null : schedule.timing.everyMs / 1000,
    queue: spec.queue,
    timeout: spec.timeoutMs / 1000,
    max_attempts: spec.maxAttempts,
    meta: metaView(spec.meta),
    catch_up: schedule.catchUp,
    overlap: schedule.overlap,
    paused: schedule.paused,
    next_fire_at: isoOrNull(schedule.nextFireAt),
    last_fire_at: isoOrNull(schedule.lastFireAt),
    last_job: last,
    created_at: iso(schedule.createdAt),
    updated_at: iso(schedule.updatedAt),
  };
}

/** Reads the schedule's last job (when it has one) and shows the schedule. */
export async function readScheduleView(client: Client, schedule: Schedule): Promise<Record<string, unknown>> {
  return scheduleView(schedule, schedule.lastJobId === null ? null : await client.getJob(schedule.lastJobId));
}

/** A page of schedules as GET /schedules answers it, each with its last job's status. */
export async function schedulePageView(client: Client, page: SchedulePage): Promise<{ schedules: Array<Record<string, unknown>>; next_cursor: string | null }> {
  // One read per last job, side by side: a page holds at most SCHEDULE_BOUNDS.maxListLimit.
  const schedules = await Promise.all(page.schedules.map((schedule) => readScheduleView(client, schedule)));
  return { schedules, next_cursor: page.nextCursor };
}
