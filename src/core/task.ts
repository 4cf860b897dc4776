// Task definitions: a name, a handler, options, and an optional payload schema.
// A registry maps names to definitions for workers and for validation at enqueue.
import type { ChildJob } from "./job-links.js";
import { checkLimitDefinitions, type LimitDefinition } from "./limits.js";
import type { Logger } from "./logger.js";
import type { BackoffPolicy, DependencyOutcome, Job, Json, JobMeta } from "./job.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import { InvalidOptionsError, InvalidPayloadError, UnknownTaskError } from "./errors.js";
import { isValidTaskName } from "./job-rules.js";

/** What a handler receives besides its payload. */
export interface TaskContext {
  /** Aborted on timeout, cancel, lease loss or forced stop; pass it to fetch() and friends. */
  signal: AbortSignal;
  /** Reports progress (any JSON, e.g. a percentage or {step, total}). Throws LEASE_LOST when stale. Safe to destructure. */
  progress: (value: Json) => Promise<void>;
  log: Logger;
  job: { id: string; attempt: number; maxAttempts: number; queue: string; meta: JobMeta };
  /**
   * How the jobs this one depends on ended — a flow's children, a batch's members — in its
   * dependsOn order, with their results and errors. Empty for a job without dependencies.
   */
  dependencies: () => Promise<DependencyOutcome[]>;
  /**
   * Adds children to this job before it returns (fan-out): they are stored under its lease
   * (LEASE_LOST when it is stale) and every job waiting for this one waits for them too.
   */
  addChildren: (children: readonly ChildJob[]) => Promise<Job[]>;
}

/** Per-task defaults; enqueue options override them. */
export interface TaskOptions<P = unknown> {
  queue?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  retryOnTimeout?: boolean;
  resultTtlSeconds?: number;
  failureTtlSeconds?: number;
  /** Validates payloads at enqueue and before running; any Standard Schema validator. */
  schema?: StandardSchemaV1<P, unknown>;
  /**
   * Per-key limits (decision 0023): e.g. `{ name: "per-project", key: (p, meta) => meta.projectId,
   * concurrency: 2 }`, or a constant key with a `rate` for a shared API. At most 4.
   */
  limits?: readonly LimitDefinition<P>[];
}

/** A task handler: receives the payload and a context, returns a JSON-serialisable result. */
export type TaskHandler<P, R> = (payload: P, ctx: TaskContext) => R | Promise<R>;

/** A registered task; `P` and `R` flow to `enqueue` and results. */
export interface TaskDefinition<P = unknown, R = unknown> {
  readonly kind: "caudex.task";
  readonly name: string;
  readonly handler: TaskHandler<P, R>;
  /** Options, with the schema typed loosely so that definitions of any payload share one registry. */
  readonly options: TaskOptions;
}

/** Payload type of a task definition. */
export type PayloadOf<T> = T extends TaskDefinition<infer P, unknown> ? P : never;

/** Defines a task; export it from your tasks module so workers can register it by name. */
export function defineTask<P = unknown, R = unknown>(
  name: string,
  handler: TaskHandler<P, R>,
  options: TaskOptions<P> = {},
): TaskDefinition<P, R> {
  if (!isValidTaskName(name)) {
    throw new InvalidOptionsError(`Invalid task name "${name}": use letters, digits, _ . : - (max 128)`);
  }
  checkLimitDefinitions(name, options.limits);
  // (The options are kept loosely typed, as TaskDefinition says: the limits' key functions take P.)
  return Object.freeze({ kind: "caudex.task" as const, name, handler, options: Object.freeze({ ...options }) as TaskOptions });
}

/** True when `value` is a task definition (e.g. an export of a tasks module). */
export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "caudex.task";
}

/** Tasks known by name. */
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  constructor(definitions: Iterable<TaskDefinition<never, unknown>> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: TaskDefinition<never, unknown>): void {
    const existing = this.tasks.get(definition.name);
    if (existing !== undefined && existing !== (definition as unknown)) {
      throw new InvalidOptionsError(`Task "${definition.name}" is defined twice`);
    }
    this.tasks.set(definition.name, definition as unknown as TaskDefinition);
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name);
  }

  require(name: string): TaskDefinition {
    const task = this.tasks.get(name);
    if (task === undefined) throw new UnknownTaskError(name);
    return task;
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /** Every definition, in name order. */
  all(): TaskDefinition[] {
    return this.names().map((name) => this.tasks.get(name) as TaskDefinition);
  }

  get size(): number {
    return this.tasks.size;
  }
}

/** Runs the task's schema, if any, on `payload`; throws INVALID_PAYLOAD with the issues. */
export async function validatePayload(task: TaskDefinition, payload: unknown): Promise<void> {
  const schema = task.options.schema;
  if (schema === undefined) return;
  const result = await schema["~standard"].validate(payload);
  if (result.issues !== undefined) {
    const issues = result.issues.map((issue) => ({
      message: issue.message,
      path: (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join("."),
    }));
    const summary = issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ");
    throw new InvalidPayloadError(`Payload for task "${task.name}" is invalid: ${summary}`, { issues });
  }
}
