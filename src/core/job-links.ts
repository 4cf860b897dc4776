// What a running task reads and adds through its context beyond its own job: how the jobs it
// depends on ended, and children it adds to itself before it returns (fan-out, decision 0018).
// Children are checked as the client checks an enqueue and stored under the job's lease.
import { DEFAULT_CLIENT_DEFAULTS, buildNewJob, stripUndefined, type ClientDefaults, type EnqueueOptions } from "./enqueue-options.js";
import { InvalidOptionsError } from "./errors.js";
import type { ClaimedJob, DependencyOutcome, Job, NewJob } from "./job.js";
import { JOB_BOUNDS, PAYLOAD_JSON_LIMITS, isValidTaskName } from "./job-rules.js";
import type { Store } from "./store.js";
import { validatePayload, type TaskDefinition, type TaskRegistry } from "./task.js";
import { traceSend } from "./tracing.js";

/** A child a running task adds: a task (by name or definition), its payload and options. */
export interface ChildJob {
  task: TaskDefinition<never, unknown> | string;
  payload: unknown;
  options?: Omit<EnqueueOptions, "idempotencyKey">;
}

/** The links of running jobs to other jobs, for one worker. */
export class JobLinks {
  private readonly defaults: ClientDefaults;

  constructor(
    private readonly store: Store,
    private readonly tasks: TaskRegistry,
    defaults: Partial<ClientDefaults>,
  ) {
    this.defaults = { ...DEFAULT_CLIENT_DEFAULTS, ...stripUndefined(defaults) };
  }

  /** How the job's dependencies stand now, in its dependsOn order. */
  dependencies(job: ClaimedJob): Promise<DependencyOutcome[]> {
    return this.store.dependencyOutcomes(job.id);
  }

  /** Stores children of the running job under its lease (LEASE_LOST when it is stale); the job's dependents wait for them too. */
  async addChildren(job: ClaimedJob, children: readonly ChildJob[]): Promise<Job[]> {
    if (!Array.isArray(children) || children.length === 0) throw new InvalidOptionsError("addChildren takes a non-empty array of jobs");
    if (children.length > JOB_BOUNDS.maxFlowJobs) throw new InvalidOptionsError(`addChildren takes at most ${JOB_BOUNDS.maxFlowJobs} jobs per call`);
    const prepared: NewJob[] = [];
    for (const child of children as readonly ChildJob[]) prepared.push(await this.prepare(child));
    return traceSend(prepared, () => this.store.addChildren({ jobId: job.id, token: job.leaseToken }, prepared));
  }

  private async prepare(child: ChildJob): Promise<NewJob> {
    const name = typeof child.task === "string" ? child.task : child.task.name;
    if (!isValidTaskName(name)) throw new InvalidOptionsError(`Invalid task name "${name}"`);
    if ((child.options as EnqueueOptions | undefined)?.idempotencyKey !== undefined) throw new InvalidOptionsError("Children take no idempotencyKey");
    const definition = typeof child.task === "string" ? this.tasks.get(name) : (child.task as TaskDefinition);
    if (definition?.options.schema !== undefined) await validatePayload(definition, child.payload);
    return buildNewJob({ task: name, taskOptions: definition?.options ?? {}, payload: child.payload, options: child.options ?? {}, defaults: this.defaults, jsonLimits: PAYLOAD_JSON_LIMITS, hold: false });
  }
}
