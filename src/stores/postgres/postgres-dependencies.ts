// Dependencies on PostgreSQL (decision 0018): the edges a new job adds, the settlement step every
// final transition runs (it counts each edge once and queues, fails or cancels the dependents as
// their policies say, cascading), the owned subtree that cancel, retry and removal act on,
// fan-out under a lease, and the retention rules. Each runs inside a transaction the store
// opened. A new job's dependencies are read FOR SHARE: a dependency that settles meanwhile waits
// for the enqueue to commit, and then sees (and counts) the new edge.
import { DependencyNotFoundError, HasDependentsError, JobNotFoundError, LeaseLostError } from "../../core/errors.js";
import type { DependencyFailurePolicy, DependencyOutcome, Job, JobError, Json, NewJob } from "../../core/job.js";
import { isFinal, type JobStatus } from "../../core/job-states.js";
import { dependencyError, tallyDependencies } from "../../core/dependency-rules.js";
import type { Lease } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";
import type { Settler, TransitionSteps } from "./postgres-steps.js";
import { rowToJob, type JobRow } from "./row-decoders.js";

// Postponement of a finished job that an unfinished job still needs: prune looks again then.
const KEEP_NEEDED_MS = 60_000;
const UNFINISHED = "status NOT IN ('COMPLETED', 'FAILED', 'CANCELED')";

const SQL = {
  dependencyRow: "SELECT id, status FROM {s}.jobs WHERE id = $1 FOR SHARE",
  insertEdge: "INSERT INTO {s}.job_dependencies (depends_on, job_id, counted) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
  addDependent: "UPDATE {s}.jobs SET dependents = dependents + 1 WHERE id = $1",
  uncountedDependents: "SELECT job_id FROM {s}.job_dependencies WHERE depends_on = $1 AND NOT counted ORDER BY job_id",
  takeUncounted: "UPDATE {s}.job_dependencies SET counted = true WHERE depends_on = $1 AND NOT counted RETURNING job_id",
  countEnded: `UPDATE {s}.jobs SET deps_waiting = deps_waiting - 1, deps_failed = deps_failed + $2,
      deps_canceled = deps_canceled + $3 WHERE id = $1 RETURNING *`,
  failDependent: `UPDATE {s}.jobs SET status = 'FAILED', error = $3, completed_at = $2, position = NULL,
      expires_at = $2 + failure_ttl_s * 1000 WHERE id = $1 RETURNING *`,
  children: "SELECT * FROM {s}.jobs WHERE parent_id = $1 ORDER BY id",
  anyChild: "SELECT 1 FROM {s}.jobs WHERE parent_id = $1 LIMIT 1",
  anyUnfinishedDependent: `SELECT d.job_id FROM {s}.job_dependencies d JOIN {s}.jobs w ON w.id = d.job_id
    WHERE d.depends_on = $1 AND w.${UNFINISHED} LIMIT 100`,
  anyUnfinishedMember: `SELECT id FROM {s}.jobs WHERE flow_id = $1 AND ${UNFINISHED} LIMIT 1`,
  membersOfFlow: "SELECT id FROM {s}.jobs WHERE flow_id = $1 AND id <> $1",
  postpone: "UPDATE {s}.jobs SET expires_at = $1 WHERE id = $2",
  unexpire: "UPDATE {s}.jobs SET expires_at = NULL WHERE id = $1",
  edgesOf: `SELECT d.depends_on AS id, j.status AS status FROM {s}.job_dependencies d LEFT JOIN {s}.jobs j ON j.id = d.depends_on
    WHERE d.job_id = $1 ORDER BY d.depends_on`,
  setCounted: "UPDATE {s}.job_dependencies SET counted = $1 WHERE depends_on = $2 AND job_id = $3",
  recount: "UPDATE {s}.jobs SET deps_waiting = $2, deps_failed = $3, deps_canceled = $4 WHERE id = $1 RETURNING *",
  resetForRetry: `UPDATE {s}.jobs SET status = 'DEFERRED', attempt = 0, retries = retries + 1, stalls = 0, error = NULL,
      result = NULL, progress = NULL, started_at = NULL, completed_at = NULL, expires_at = NULL, run_at = NULL,
      position = NULL, enqueued_at = $2 WHERE id = $1`,
  leased: "SELECT * FROM {s}.jobs WHERE id = $1 AND lease_token = $2 AND status = 'PROCESSING' FOR UPDATE",
  startFlow: "UPDATE {s}.jobs SET flow_id = id WHERE id = $1 AND flow_id IS NULL",
  addEdgeToDependent: `UPDATE {s}.jobs SET deps_total = deps_total + 1, deps_waiting = deps_waiting + $3,
      deps_failed = deps_failed + $4, deps_canceled = deps_canceled + $5,
      depends_on = (coalesce(depends_on, '[]')::jsonb || to_jsonb($2::text))::text WHERE id = $1 RETURNING *`,
  outcomes: `SELECT j.id, j.task, j.status, j.result, j.error FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY e(id, n)
    JOIN {s}.jobs j ON j.id = e.id ORDER BY e.n`,
  jobsByIds: "SELECT j.* FROM unnest($1::text[]) WITH ORDINALITY e(id, n) JOIN {s}.jobs j ON j.id = e.id ORDER BY e.n",
  deleteEdges: "DELETE FROM {s}.job_dependencies WHERE job_id = $1",
  forgetDependent: "UPDATE {s}.jobs SET dependents = dependents - 1 WHERE id IN (SELECT depends_on FROM {s}.job_dependencies WHERE job_id = $1)",
  deleteEdgesTo: "DELETE FROM {s}.job_dependencies WHERE depends_on = $1",
} as const;

/** A job that retention or a purge reached, with what the dependency rules need of it. */
export interface ExpiredRow {
  id: string;
  flow_id: string | null;
  dependents: number;
}

/** How a new job's dependencies stand when it is stored. */
export interface DependencyPlan {
  ids: string[];
  statuses: JobStatus[];
  waiting: number;
  failed: number;
  canceled: number;
  status: "DEFERRED" | "FAILED" | "CANCELED" | null;
  error: JobError | null;
}

/** The dependency steps. */
export class DependencySteps implements Settler {
  constructor(private readonly steps: TransitionSteps) {}

  /** Reads a new job's dependencies (DEPENDENCY_NOT_FOUND for one that does not exist) and decides its first status. */
  async plan(tx: Tx, job: NewJob): Promise<DependencyPlan | null> {
    if (job.dependsOn === undefined || job.dependsOn.length === 0) return null;
    const ids = [...new Set(job.dependsOn)];
    const statuses: JobStatus[] = [];
    for (const id of ids) {
      const row = await tx.row<{ status: JobStatus }>(SQL.dependencyRow, [id]);
      if (row === undefined) throw new DependencyNotFoundError(job.id, id);
      statuses.push(row.status);
    }
    const tally = tallyDependencies(ids.map((id, i) => ({ id, status: statuses[i] as JobStatus })), job.onDependencyFailure ?? "fail");
    return { ids, statuses, waiting: tally.waiting, failed: tally.failed, canceled: tally.canceled, status: tally.outcome, error: tally.error };
  }

  /** Stores the edges of a job just inserted, each counted already when its dependency is final. */
  async link(tx: Tx, jobId: string, plan: DependencyPlan): Promise<void> {
    for (const [i, id] of plan.ids.entries()) {
      await tx.run(SQL.insertEdge, [id, jobId, isFinal(plan.statuses[i] as JobStatus)]);
      await tx.run(SQL.addDependent, [id]);
    }
  }

  /**
   * The step every final transition takes for a job with dependents: counts its end once for
   * each dependent not yet counted, and queues, fails or cancels the DEFERRED ones as their
   * policies say. A dependent that ends this way is settled in turn (a worklist, not recursion).
   */
  async settle(tx: Tx, ended: JobRow, now: number): Promise<void> {
    const work: JobRow[] = [ended];
    for (let next = work.shift(); next !== undefined; next = work.shift()) {
      if (next.dependents === 0) continue;
      // Taken and marked in one statement; locked in id order, as every settlement takes them.
      const ids = (await tx.rows<{ job_id: string }>(SQL.takeUncounted, [next.id])).map((r) => r.job_id).sort();
      for (const id of ids) {
        const row = await tx.row<JobRow>(SQL.countEnded, [id, next.status === "FAILED" ? 1 : 0, next.status === "CANCELED" ? 1 : 0]);
        if (row === undefined) continue;
        const after = await this.afterEnd(tx, row, next, now);
        if (after !== null) work.push(after);
      }
    }
  }

  /** A DEFERRED dependent after one of its dependencies ended: the row it ended in itself (to settle), or null. */
  private async afterEnd(tx: Tx, row: JobRow, ended: Pick<JobRow, "id" | "status">, now: number): Promise<JobRow | null> {
    if (row.status !== "DEFERRED") return null;
    const bad = ended.status === "FAILED" || ended.status === "CANCELED";
    const policy = (row.on_dependency_failure ?? "fail") as DependencyFailurePolicy;
    if (bad && policy === "fail") {
      const error = dependencyError(ended.id, ended.status);
      const failed = (await tx.row<JobRow>(SQL.failDependent, [row.id, now, JSON.stringify(error)])) as JobRow;
      await this.steps.event(tx, "job:failed", failed, now, { error });
      return failed;
    }
    if (bad && policy === "cancel") return this.steps.cancelRow(tx, row.id, now);
    if (row.deps_waiting <= 0) await this.release(tx, row, now);
    return null;
  }

  /** Queues a dependent whose last dependency ended (SCHEDULED when its run time is ahead). */
  private async release(tx: Tx, row: JobRow, now: number): Promise<void> {
    if (row.run_at !== null && row.run_at > now) {
      await this.steps.event(tx, "job:scheduled", await this.steps.toScheduled(tx, row.id, now), now);
      return;
    }
    await this.steps.queueAtTail(tx, row, now);
  }

  /** The jobs a job owns, down its whole subtree (the job itself first), in breadth-first order. */
  async subtree(tx: Tx, root: JobRow): Promise<JobRow[]> {
    const rows = [root];
    for (let i = 0; i < rows.length; i++) rows.push(...(await tx.rows<JobRow>(SQL.children, [(rows[i] as JobRow).id])));
    return rows;
  }

  /** Whether the job owns any job. */
  async ownsJobs(tx: Tx, jobId: string): Promise<boolean> {
    return (await tx.row(SQL.anyChild, [jobId])) !== undefined;
  }

  /** Cancels the unfinished jobs below `root` (root itself is already CANCELED), then settles each canceled job. */
  async cancelOwned(tx: Tx, root: JobRow, now: number): Promise<void> {
    const canceled: JobRow[] = [root];
    for (const row of (await this.subtree(tx, root)).slice(1)) if (!isFinal(row.status as JobStatus)) canceled.push(await this.steps.cancelRow(tx, row.id, now));
    for (const row of canceled) await this.settle(tx, row, now);
  }

  /** Retries a job that owns jobs: every FAILED or CANCELED job of its subtree starts again, recounted. */
  async retrySubtree(tx: Tx, root: JobRow, now: number): Promise<JobRow> {
    const reset = (await this.subtree(tx, root)).filter((row) => row.status === "FAILED" || row.status === "CANCELED");
    for (const row of reset) await tx.run(SQL.resetForRetry, [row.id, now]);
    let answer = root;
    for (const row of reset) {
      const after = await this.recount(tx, row.id, now);
      if (row.id === root.id) answer = after;
    }
    return answer;
  }

  /** Recounts a reset job's edges and starts it: DEFERRED, queued, or ended by its policy. */
  private async recount(tx: Tx, jobId: string, now: number): Promise<JobRow> {
    const edges = await tx.rows<{ id: string; status: JobStatus | null }>(SQL.edgesOf, [jobId]);
    // A dependency since deleted counted as it ended: it cannot end again.
    for (const edge of edges) await tx.run(SQL.setCounted, [edge.status === null || isFinal(edge.status), edge.id, jobId]);
    const counts = tallyDependencies(edges, "run");
    const row = (await tx.row<JobRow>(SQL.recount, [jobId, counts.waiting, counts.failed, counts.canceled])) as JobRow;
    const tally = tallyDependencies(edges, (row.on_dependency_failure ?? "fail") as DependencyFailurePolicy);
    if (tally.outcome === "DEFERRED") {
      await this.steps.event(tx, "job:deferred", row, now);
      return row;
    }
    if (tally.outcome !== null && tally.firstBad !== null) {
      const ended = (await this.afterEnd(tx, row, tally.firstBad, now)) as JobRow;
      await this.settle(tx, ended, now);
      return ended;
    }
    return this.steps.queueAtTail(tx, row, now);
  }

  /** HAS_DEPENDENTS when an unfinished job depends on the job or on a job of its subtree, or the subtree is unfinished; else the rows to delete. */
  async removable(tx: Tx, root: JobRow): Promise<JobRow[]> {
    const rows = await this.subtree(tx, root);
    for (const row of rows) {
      if (row.id !== root.id && !isFinal(row.status as JobStatus)) throw new HasDependentsError(root.id, row.id);
      if (row.dependents > 0) {
        const ids = (await tx.rows<{ job_id: string }>(SQL.anyUnfinishedDependent, [row.id])).map((r) => r.job_id);
        const waiting = ids.find((id) => !rows.some((r) => r.id === id));
        if (waiting !== undefined) throw new HasDependentsError(root.id, waiting);
      }
    }
    return rows;
  }

  /** Which of the jobs retention (or a purge, `now` null) reached go now; returns the ids to delete. */
  async expired(tx: Tx, rows: readonly ExpiredRow[], now: number | null): Promise<string[]> {
    const out: string[] = [];
    for (const row of rows) {
      const id = row.id;
      if (row.flow_id === null && row.dependents === 0) {
        out.push(id);
        continue;
      }
      if (row.flow_id !== null && row.flow_id !== id) {
        if (now !== null) await tx.run(SQL.unexpire, [id]);
        continue;
      }
      const needed =
        (row.dependents > 0 && (await tx.row(SQL.anyUnfinishedDependent, [id])) !== undefined) ||
        (row.flow_id === id && (await tx.row(SQL.anyUnfinishedMember, [id])) !== undefined);
      if (needed) {
        if (now !== null) await tx.run(SQL.postpone, [now + KEEP_NEEDED_MS, id]);
        continue;
      }
      if (row.flow_id === id) out.push(...(await tx.rows<{ id: string }>(SQL.membersOfFlow, [id])).map((r) => r.id));
      out.push(id);
    }
    return out;
  }

  /** Forgets a deleted job's edges; the jobs it depended on count one dependent less. */
  async forget(tx: Tx, jobId: string): Promise<void> {
    await tx.run(SQL.forgetDependent, [jobId]);
    await tx.run(SQL.deleteEdges, [jobId]);
    await tx.run(SQL.deleteEdgesTo, [jobId]);
  }

  /** Creates children of a running job under its lease; its DEFERRED dependents wait for them too. */
  async addChildren(tx: Tx, lease: Lease, jobs: readonly NewJob[], now: number, insert: (jobs: NewJob[]) => Promise<Job[]>): Promise<Job[]> {
    const parent = await tx.row<JobRow>(SQL.leased, [lease.jobId, lease.token]);
    if (parent === undefined) throw new LeaseLostError(lease.jobId);
    await tx.run(SQL.startFlow, [parent.id]);
    const flowId = parent.flow_id ?? parent.id;
    const children = await insert(jobs.map((job) => ({ ...job, parentId: parent.id, flowId })));
    const dependents = (await tx.rows<{ job_id: string }>(SQL.uncountedDependents, [parent.id])).map((r) => r.job_id);
    for (const dependentId of dependents) {
      for (const child of children) {
        const ended = isFinal(child.status);
        await tx.run(SQL.insertEdge, [child.id, dependentId, ended]);
        await tx.run(SQL.addDependent, [child.id]);
        const row = (await tx.row<JobRow>(SQL.addEdgeToDependent, [
          dependentId,
          child.id,
          ended ? 0 : 1,
          child.status === "FAILED" ? 1 : 0,
          child.status === "CANCELED" ? 1 : 0,
        ])) as JobRow;
        if (ended) {
          const after = await this.afterEnd(tx, row, child, now);
          if (after !== null) await this.settle(tx, after, now);
        }
      }
    }
    const out: Job[] = [];
    for (const child of children) out.push(rowToJob(await this.steps.require(tx, child.id)));
    return out;
  }

  /** The job's dependencies as they are now, in its dependsOn order. */
  async outcomes(tx: Tx, jobId: string): Promise<DependencyOutcome[]> {
    const row = await this.steps.find(tx, jobId);
    if (row === undefined) throw new JobNotFoundError(jobId);
    if (row.depends_on === null) return [];
    const rows = await tx.rows<{ id: string; task: string; status: JobStatus; result: string | null; error: string | null }>(SQL.outcomes, [row.depends_on]);
    return rows.map((r) => ({
      id: r.id,
      task: r.task,
      status: r.status,
      result: r.result === null ? null : (JSON.parse(r.result) as Json),
      error: r.error === null ? null : (JSON.parse(r.error) as JobError),
    }));
  }

  /** The jobs of these ids that exist, in the order asked. */
  async byIds(tx: Tx, ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return (await tx.rows<JobRow>(SQL.jobsByIds, [ids])).map(rowToJob);
  }
}
