// Flows and batches (decision 0018): a tree of jobs, or a set of jobs with a callback, turned
// into jobs with dependency edges and stored in one atomic enqueue; and their read side (a
// batch's counts, the tree of a flow). The store does everything that must be atomic.
import { InvalidOptionsError, JobNotFoundError } from "./errors.js";
import type { EnqueueOptions } from "./enqueue-options.js";
import type { DependencyCounts, Job, NewJob } from "./job.js";
import { isFinal } from "./job-states.js";
import { JOB_BOUNDS } from "./job-rules.js";
import type { Store } from "./store.js";
import type { TaskDefinition } from "./task.js";
import { enqueueTraced } from "./tracing.js";

/** A job of a flow: its task, payload and options, and the children it waits for (run first). */
export interface FlowJob {
  task: TaskDefinition<never, unknown> | string;
  payload: unknown;
  options?: Omit<EnqueueOptions, "idempotencyKey">;
  children?: readonly FlowJob[];
}

/** A stored flow: its root and every job, children before their parents. */
export interface FlowResult {
  root: Job;
  jobs: Job[];
}

/** A batch: jobs, and a callback that runs once when all are final (`always`) or only when all completed (`success`). */
export interface BatchRequest {
  jobs: ReadonlyArray<Omit<FlowJob, "children">>;
  callback: Omit<FlowJob, "children">;
  /** Default `success`: the callback fails with DEPENDENCY_FAILED at the first member that fails, and never runs. */
  on?: "success" | "always";
}

/** A batch's state: its callback (its id is the batch id) and how its members ended so far. */
export interface BatchState {
  id: string;
  callback: Job;
  counts: DependencyCounts;
  /** True once every member is final. */
  finished: boolean;
}

/** A flow's jobs from its root down, breadth first; `truncated` when there were more than asked. */
export interface JobTree {
  rootId: string;
  jobs: Job[];
  truncated: boolean;
}

/** Prepares one job as the client does (task check, schema, options, defaults). */
export type PrepareJob = (task: TaskDefinition<never, unknown> | string, payload: unknown, options: EnqueueOptions) => NewJob | Promise<NewJob>;

/** Most jobs a tree view shows. */
export const MAX_TREE_JOBS = 1000;

/** Builds and stores flows and batches, and reads them back. */
export class Flows {
  constructor(
    private readonly store: Store,
    private readonly prepare: PrepareJob,
  ) {}

  /** Stores a whole tree in one atomic operation: all of it or nothing (through `send`: a transactional enqueue). */
  async enqueueFlow(root: FlowJob, send: Pick<Store, "enqueue"> = this.store): Promise<FlowResult> {
    const jobs = await this.flatten(root);
    const results = await enqueueTraced(send, jobs);
    const stored = results.map((r) => r.job);
    return { root: stored[stored.length - 1] as Job, jobs: stored };
  }

  /** Stores a batch's members and its callback in one atomic operation. */
  async enqueueBatch(request: BatchRequest): Promise<{ batch: BatchState; jobs: Job[] }> {
    if (request.jobs.length === 0) throw new InvalidOptionsError("A batch needs at least one job");
    const on = request.on ?? "success";
    if (on !== "success" && on !== "always") throw new InvalidOptionsError('A batch\'s "on" must be "success" or "always"');
    const callback: FlowJob = {
      ...request.callback,
      options: { ...request.callback.options, onDependencyFailure: on === "always" ? "run" : "fail" },
      children: request.jobs,
    };
    const { root, jobs } = await this.enqueueFlow(callback);
    return { batch: batchState(root), jobs: jobs.slice(0, -1) };
  }

  /** A batch's (or any flow root's) state; JOB_NOT_FOUND when there is no such job. */
  async getBatch(batchId: string): Promise<BatchState> {
    const job = await this.store.getJob(batchId);
    if (job === null) throw new JobNotFoundError(batchId);
    return batchState(job);
  }

  /** The whole flow a job belongs to, from its root, with what each job depends on (at most `limit` jobs). */
  async tree(jobId: string, limit = MAX_TREE_JOBS): Promise<JobTree> {
    const start = await this.store.getJob(jobId);
    if (start === null) throw new JobNotFoundError(jobId);
    const root = start.flowId !== null && start.flowId !== start.id ? ((await this.store.getJob(start.flowId)) ?? start) : start;
    const seen = new Set([root.id]);
    const jobs = [root];
    let level = [root];
    let truncated = false;
    while (level.length > 0 && !truncated) {
      const ids: string[] = [];
      for (const job of level) {
        for (const id of job.dependsOn) {
          if (seen.has(id)) continue;
          if (seen.size >= limit) {
            truncated = true;
            break;
          }
          seen.add(id);
          ids.push(id);
        }
      }
      level = ids.length === 0 ? [] : await this.store.getJobs(ids);
      jobs.push(...level);
    }
    return { rootId: root.id, jobs, truncated };
  }

  /** The flow's jobs, children before parents, each parent depending on its children. */
  private async flatten(root: FlowJob): Promise<NewJob[]> {
    const out: NewJob[] = [];
    const visit = async (node: FlowJob, depth: number, parentId: string | null, flowId: string | null): Promise<NewJob> => {
      if (depth > JOB_BOUNDS.maxFlowDepth) throw new InvalidOptionsError(`A flow is at most ${JOB_BOUNDS.maxFlowDepth} levels deep`);
      if (node === null || typeof node !== "object") throw new InvalidOptionsError("Every job of a flow must be an object with a task and a payload");
      if ((node.options as EnqueueOptions | undefined)?.idempotencyKey !== undefined)
        throw new InvalidOptionsError("Jobs of a flow or batch take no idempotencyKey: the flow is stored whole, once per call");
      // The id is needed before the children are prepared (they name their parent).
      const self = await this.prepare(node.task, node.payload, node.options ?? {});
      const myFlow = flowId ?? self.id;
      const childIds: string[] = [];
      for (const child of node.children ?? []) {
        if (out.length >= JOB_BOUNDS.maxFlowJobs) throw new InvalidOptionsError(`A flow or batch holds at most ${JOB_BOUNDS.maxFlowJobs} jobs`);
        childIds.push((await visit(child, depth + 1, self.id, myFlow)).id);
      }
      const extra = self.dependsOn ?? [];
      const dependsOn = [...childIds, ...extra];
      if (dependsOn.length > JOB_BOUNDS.maxDependencies) throw new InvalidOptionsError(`A job depends on at most ${JOB_BOUNDS.maxDependencies} jobs`);
      const job: NewJob = { ...self, parentId, flowId: myFlow };
      if (dependsOn.length > 0) job.dependsOn = dependsOn;
      out.push(job);
      if (out.length > JOB_BOUNDS.maxFlowJobs) throw new InvalidOptionsError(`A flow or batch holds at most ${JOB_BOUNDS.maxFlowJobs} jobs`);
      return job;
    };
    await visit(root, 0, null, null);
    return out;
  }
}

/** A batch's state from its callback job. */
export function batchState(callback: Job): BatchState {
  const counts = callback.dependencies ?? { total: 0, waiting: 0, completed: 0, failed: 0, canceled: 0 };
  return { id: callback.id, callback, counts, finished: counts.waiting === 0 };
}

/** Whether every job of a tree is final. */
export function treeFinished(tree: JobTree): boolean {
  return tree.jobs.every((job) => isFinal(job.status));
}
