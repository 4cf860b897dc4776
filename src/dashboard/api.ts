// The dashboard's only way to the server: JSON calls to the HTTP API with the session cookie,
// the CSRF token on every write, and the API's shapes as types. No storage access, no secrets.

/** A job as GET /jobs/:id shows it. */
export interface JobView {
  job_id: string;
  status: string;
  queue: string;
  task: string;
  payload?: unknown;
  created_at: string;
  enqueued_at?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  run_at?: string | null;
  progress?: unknown;
  result?: unknown;
  error?: { code: string; message: string; stack?: string } | null;
  attempt: number;
  max_attempts: number;
  /** Times an operator retried the job after it failed or was canceled. */
  retries: number;
  timeout?: number;
  worker?: string | null;
  idempotency_key?: string | null;
  meta: Record<string, unknown>;
  /** The schedule that made the job, and the fire time it stands for. */
  schedule_id?: string | null;
  fire_at?: string | null;
  /** The first 100 jobs this one waits for; depends_on_count tells how many there are. */
  depends_on?: string[];
  depends_on_count?: number;
  on_dependency_failure?: "fail" | "cancel" | "run";
  /** How its dependencies have ended so far, or null without any. */
  dependencies?: DependencyCountsView | null;
  /** How many jobs wait for this one. */
  dependents?: number;
  /** The job this one was created for (flow parent, batch callback, fan-out), and its flow's root. */
  parent_id?: string | null;
  flow_id?: string | null;
  /** The per-key limits the job is under; it waits in the lane of the first. */
  limit_keys?: Array<{ name: string; key: string }>;
  /** Times its task put it off with RetryAfter (those attempts were not counted). */
  postponements?: number;
  /** GET /jobs/:id only: why a QUEUED job under limits is not running, or null. */
  held_by?: string | null;
}

/** A rate as the API shows it: `limit` starts per `period_ms`, max(burst, 1) at once. */
export interface RateView {
  limit: number;
  period_ms: number;
  burst: number;
}

/** How one (limit, key) stands, as GET /limits shows it. */
export interface LimitView {
  name: string;
  key: string;
  concurrency: number | null;
  rate: RateView | null;
  running: number;
  waiting: number;
  tokens: number | null;
  at_limit: boolean;
}

/** A page of limits, in (name, key) order. */
export interface LimitPage {
  limits: LimitView[];
  next_cursor: string | null;
}

/** The body of PUT /limits/:name/:key: the whole setting. */
export interface LimitChangeBody {
  concurrency?: number;
  rate?: { limit: number; period_ms: number; burst: number };
}

/** How a job's dependencies (a batch's members) have ended; `waiting` are not final yet. */
export interface DependencyCountsView {
  total: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
}

/** A flow as GET /jobs/:id/tree shows it: its root, then what each job depends on, breadth first. */
export interface TreeView {
  root_id: string;
  truncated: boolean;
  jobs: JobView[];
}

/** A schedule as GET /schedules/:id shows it. */
export interface ScheduleView {
  schedule_id: string;
  task: string;
  payload: unknown;
  cron: string | null;
  tz: string;
  /** Seconds, for an interval schedule. */
  every: number | null;
  queue: string;
  catch_up: "latest" | "none" | { backfill: number };
  overlap: string;
  paused: boolean;
  next_fire_at: string | null;
  last_fire_at: string | null;
  /** Status null: the job was pruned or deleted. */
  last_job: { job_id: string; status: string | null } | null;
  created_at: string;
  updated_at: string;
}

/** A page of schedules, in id order. */
export interface SchedulePage {
  schedules: ScheduleView[];
  next_cursor: string | null;
}

/** A page of jobs. */
export interface JobPage {
  jobs: JobView[];
  next_cursor: string | null;
}

/** One event of a job's timeline or of the live stream. */
export interface EventView {
  type: string;
  job_id: string;
  queue: string;
  task: string;
  status: string;
  at: string;
  seq?: string;
  attempt?: number;
  worker?: string | null;
  progress?: unknown;
  error?: { code: string; message: string };
  duration_ms?: number;
}

/** One queue's statistics. */
export interface QueueStatsView {
  queue: string;
  counts: Record<string, number>;
  oldest_waiting_seconds: number | null;
  completed_last_minute: number;
  failed_last_minute: number;
  paused: boolean;
}

/** A live worker. */
export interface WorkerView {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  state: string;
  current_job_ids: string[];
  started_at: string;
  last_heartbeat: string;
  processed: number;
  failed: number;
}

/** The health report. */
export interface HealthView {
  status: "ok" | "degraded" | "down";
  reasons?: string[];
  live_workers?: number;
}

/** Per-minute completions and failures of the last hour, per queue. */
export interface ThroughputView {
  bucket_seconds: number;
  since: string;
  queues: Record<string, { completed: number[]; failed: number[] }>;
}

/** The browser's session. */
export interface SessionView {
  signed_in: true;
  access: "read" | "full";
  csrf_token: string;
  auth_required: boolean;
}

/** What GET /dashboard/session answers: the session, or that there is none (still a 200). */
export type SessionProbe = SessionView | { signed_in: false; auth_required: true };

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Calls the API on this origin; writes carry the CSRF token once signed in. */
export class Api {
  private csrfToken = "";

  /** Sets the CSRF token sent with every write. */
  useCsrfToken(token: string): void {
    this.csrfToken = token;
  }

  /** Sends one request and returns its JSON answer (undefined for 204). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrfToken !== "") headers["x-csrf-token"] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, credentials: "same-origin", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch {
      throw new ApiError(0, "UNREACHABLE", "The server cannot be reached");
    }
    if (response.status === 204) return undefined as T;
    const data = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? "HTTP_" + String(response.status), error?.message ?? response.statusText);
    }
    return data as T;
  }

  /** GET shorthand. */
  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  /** POST shorthand. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }
}

/** Builds a query string from the non-empty values of `params`. */
export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, value);
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** Path of one job's resource. */
export function jobPath(id: string, suffix = ""): string {
  return `/jobs/${encodeURIComponent(id)}${suffix}`;
}

/** Path of a limit's default, or of one of its keys. */
export function limitPath(name: string, key?: string): string {
  return `/limits/${encodeURIComponent(name)}${key === undefined ? "" : `/${encodeURIComponent(key)}`}`;
}

/** Path of one schedule's resource. */
export function schedulePath(id: string, suffix = ""): string {
  return `/schedules/${encodeURIComponent(id)}${suffix}`;
}
