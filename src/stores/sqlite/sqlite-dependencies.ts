// Dependencies on SQLite (decision 0018): the edges a new job adds, the settlement step every
// final transition runs (it counts each edge once and queues, fails or cancels the dependents
// as their policies say, cascading), the owned subtree that cancel, retry and removal act on,
// fan-out under a lease, and the retention rules. Each runs inside a transaction the store
// opened; none opens one itself.
import type BetterSqlite3 from "better-sqlite3";
import { DependencyNotFoundError, HasDependentsError, JobNotFoundError, LeaseLostError } from "../../core/errors.js";
import type { DependencyFailurePolicy, DependencyOutcome, Job, JobError, Json, NewJob } from "../../core/job.js";
import { isFinal, type JobStatus } from "../../core/job-states.js";
import { dependencyError, tallyDependencies } from "../../core/dependency-rules.js";
import type { Lease } from "../../core/store.js";
import { rowToJob, type JobRow } from "./row-decoders.js";
import type { TransitionSteps } from "./transition-steps.js";

// Postponement of a finished job that an unfinished job still needs: prune looks again then,
// so its scan never meets the same kept job twice in a row.
const KEEP_NEEDED_MS = 60_000;

const DEPENDENCY_SQL = {
  dependencyRow: "SELECT id, status, error FROM jobs WHERE id = ?",
  insertEdge: "INSERT OR IGNORE INTO job_dependencies (depends_on, job_id, counted) VALUES (?, ?, ?)",
  addDependent: "UPDATE jobs SET dependents = dependents + 1 WHERE id = ?",
  uncountedDependents: "SELECT job_id FROM job_dependencies WHERE depends_on = ? AND counted = 0",
  markCounted: "UPDATE job_dependencies SET counted = 1 WHERE depends_on = ? AND counted = 0",
  countEnded: `UPDATE jobs SET deps_waiting = deps_waiting - 1, deps_failed = deps_failed + @failed,
      deps_canceled = deps_canceled + @canceled WHERE id = @id RETURNING *`,
  failDependent: `UPDATE jobs SET status = 'FAILED', error = @error, completed_at = @now, position = NULL,
      expires_at = @now + failure_ttl_s * 1000 WHERE id = @id RETURNING *`,
  children: "SELECT * FROM jobs WHERE parent_id = ?",
  anyUnfinishedDependent: `SELECT d.job_id FROM job_dependencies d JOIN jobs w ON w.id = d.job_id
    WHERE d.depends_on = ? AND w.status NOT IN ('COMPLETED', 'FAILED', 'CANCELED') LIMIT 100`,
  anyUnfinishedMember: "SELECT id FROM jobs WHERE flow_id = ? AND status NOT IN ('COMPLETED', 'FAILED', 'CANCELED') LIMIT 1",
  membersOfFlow: "SELECT id FROM jobs WHERE flow_id = ? AND id <> ?",
  postpone: "UPDATE jobs SET expires_at = ? WHERE id = ?",
  unexpire: "UPDATE jobs SET expires_at = NULL WHERE id = ?",
  edgesOf: `SELECT d.depends_on AS id, j.status AS status FROM job_dependencies d LEFT JOIN jobs j ON j.id = d.depends_on
    WHERE d.job_id = ?`,
  setCounted: "UPDATE job_dependencies SET counted = ? WHERE depends_on = ? AND job_id = ?",
  recount: `UPDATE jobs SET deps_waiting = @waiting, deps_failed = @failed, deps_canceled = @canceled
    WHERE id = @id RETURNING *`,
  resetForRetry: `UPDATE jobs SET status = 'DEFERRED', attempt = 0, retries = retries + 1, stalls = 0, error = NULL,
      result = NULL, progress = NULL, started_at = NULL, completed_at = NULL, expires_at = NULL, run_at = NULL,
      position = NULL, enqueued_at = @now WHERE id = @id RETURNING *`,
  leased: "SELECT * FROM jobs WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'",
  startFlow: "UPDATE jobs SET flow_id = id WHERE id = ? AND flow_id IS NULL",
  addEdgeToDependent: `UPDATE jobs SET deps_total = deps_total + 1, deps_waiting = deps_waiting + @waiting,
      deps_failed = deps_failed + @failed, deps_canceled = deps_canceled + @canceled,
      depends_on = json_insert(coalesce(depends_on, '[]'), '$[#]', @child) WHERE id = @id RETURNING *`,
  outcomes: `SELECT j.id, j.task, j.status, j.result, j.error FROM json_each(?) e JOIN jobs j ON j.id = e.value ORDER BY e.key`,
  jobsByIds: "SELECT j.* FROM json_each(?) e JOIN jobs j ON j.id = e.value ORDER BY e.key",
  deleteEdges: "DELETE FROM job_dependencies WHERE job_id = ?",
  forgetDependent: `UPDATE jobs SET dependents = dependents - 1
    WHERE id IN (SELECT depends_on FROM job_dependencies WHERE job_id = ?)`,
  deleteEdgesTo: "DELETE FROM job_dependencies WHERE depends_on = ?",
} as const;

type DependencyStatements = Record<keyof typeof DEPENDENCY_SQL, BetterSqlite3.Statement<unknown[], unknown>>;

/** A job that retention or a purge reached, with what the dependency rules need of it. */
export interface ExpiredRow {
  id: string;
  flow_id: string | null;
  dependents: number;
}

/** How a new job's dependencies stand when it is stored. */
export interface DependencyPlan {
  ids: string[];
  /** Each dependency's status, in `ids` order. */
  statuses: JobStatus[];
  waiting: number;
  failed: number;
  canceled: number;
  /** The status the job starts in because of them, or null to start as it would without any. */
  status: "DEFERRED" | "FAILED" | "CANCELED" | null;
  /** Set when it starts FAILED. */
  error: JobError | null;
}

/** The dependency steps of one connection. */
export class DependencySteps {
  private readonly st: DependencyStatements;

  constructor(
    db: BetterSqlite3.Database,
    private readonly steps: TransitionSteps,
  ) {
    this.st = Object.fromEntries(Object.entries(DEPENDENCY_SQL).map(([name, sql]) => [name, db.prepare(sql)])) as DependencyStatements;
  }

  /** Reads a new job's dependencies (DEPENDENCY_NOT_FOUND for one that does not exist) and decides its first status. */
  plan(job: NewJob): DependencyPlan | null {
    if (job.dependsOn === undefined || job.dependsOn.length === 0) return null;
    const ids = [...new Set(job.dependsOn)];
    const statuses = ids.map((id) => {
      const row = this.st.dependencyRow.get(id) as { status: JobStatus } | undefined;
      if (row === undefined) throw new DependencyNotFoundError(job.id, id);
      return row.status;
    });
    const tally = tallyDependencies(ids.map((id, i) => ({ id, status: statuses[i] as JobStatus })), job.onDependencyFailure ?? "fail");
    return { ids, statuses, waiting: tally.waiting, failed: tally.failed, canceled: tally.canceled, status: tally.outcome, error: tally.error };
  }

  /** Stores the edges of a job just inserted, each counted already when its dependency is final. */
  link(jobId: string, plan: DependencyPlan): void {
    plan.ids.forEach((id, i) => {
      this.st.insertEdge.run(id, jobId, isFinal(plan.statuses[i] as JobStatus) ? 1 : 0);
      this.st.addDependent.run(id);
    });
  }

  /**
   * The step every final transition takes for a job with dependents: counts its end once for
   * each dependent not yet counted, and queues, fails or cancels the DEFERRED ones as their
   * policies say. A dependent that ends this way is settled in turn (a worklist, not recursion).
   */
  settle(ended: JobRow, now: number): void {
    const work: JobRow[] = [ended];
    for (let next = work.shift(); next !== undefined; next = work.shift()) {
      if (next.dependents === 0) continue;
      const ids = this.st.uncountedDependents.pluck().all(next.id) as string[];
      if (ids.length === 0) continue;
      this.st.markCounted.run(next.id);
      for (const id of ids) {
        const row = this.st.countEnded.get({ id, failed: next.status === "FAILED" ? 1 : 0, canceled: next.status === "CANCELED" ? 1 : 0 }) as JobRow | undefined;
        if (row === undefined) continue;
        const after = this.afterEnd(row, next, now);
        if (after !== null) work.push(after);
      }
    }
  }

  /** A DEFERRED dependent after one of its dependencies ended: the row it ended in itself (to settle), or null. */
  private afterEnd(row: JobRow, ended: Pick<JobRow, "id" | "status">, now: number): JobRow | null {
    if (row.status !== "DEFERRED") return null;
    const bad = ended.status === "FAILED" || ended.status === "CANCELED";
    const policy = (row.on_dependency_failure ?? "fail") as DependencyFailurePolicy;
    if (bad && policy === "fail") {
      const error = dependencyError(ended.id, ended.status);
      const failed = this.st.failDependent.get({ id: row.id, now, error: JSON.stringify(error) }) as JobRow;
      this.steps.event("job:failed", failed, now, { error });
      return failed;
    }
    if (bad && policy === "cancel") return this.steps.cancelRow(row.id, now);
    if (row.deps_waiting <= 0) this.release(row, now);
    return null;
  }

  /** Queues a dependent whose last dependency ended (SCHEDULED when its run time is ahead). */
  private release(row: JobRow, now: number): void {
    if (row.run_at !== null && row.run_at > now) {
      this.steps.event("job:scheduled", this.steps.toScheduled(row.id, now), now);
      return;
    }
    this.steps.queueAtTail(row, now);
  }

  /** The jobs a job owns, down its whole subtree (the job itself first), in breadth-first order. */
  subtree(root: JobRow): JobRow[] {
    const rows = [root];
    for (let i = 0; i < rows.length; i++) rows.push(...(this.st.children.all((rows[i] as JobRow).id) as JobRow[]));
    return rows;
  }

  /** Whether the job owns any job. */
  ownsJobs(jobId: string): boolean {
    return this.st.children.get(jobId) !== undefined;
  }

  /** Cancels the unfinished jobs below `root` (root itself is already CANCELED), then settles each canceled job. */
  cancelOwned(root: JobRow, now: number): void {
    const canceled: JobRow[] = [root];
    for (const row of this.subtree(root).slice(1)) if (!isFinal(row.status as JobStatus)) canceled.push(this.steps.cancelRow(row.id, now));
    for (const row of canceled) this.settle(row, now);
  }

  /**
   * Retries a job that owns jobs: every FAILED or CANCELED job of its subtree (the job too)
   * starts again with a fresh attempt count, its edges recounted from what its dependencies
   * are now; each waits (DEFERRED) if a dependency is unfinished, else is queued.
   */
  retrySubtree(root: JobRow, now: number): JobRow {
    const reset = this.subtree(root).filter((row) => row.status === "FAILED" || row.status === "CANCELED");
    for (const row of reset) this.st.resetForRetry.get({ id: row.id, now });
    let answer = root;
    for (const row of reset) {
      const after = this.recount(row.id, now);
      if (row.id === root.id) answer = after;
    }
    return answer;
  }

  /** Recounts a reset job's edges and starts it: DEFERRED, queued, or ended by its policy. */
  private recount(jobId: string, now: number): JobRow {
    const edges = this.st.edgesOf.all(jobId) as Array<{ id: string; status: JobStatus | null }>;
    // A dependency since deleted counted as it ended: it cannot end again.
    for (const edge of edges) this.st.setCounted.run(edge.status === null || isFinal(edge.status) ? 1 : 0, edge.id, jobId);
    const counts = tallyDependencies(edges, "run");
    const row = this.st.recount.get({ id: jobId, waiting: counts.waiting, failed: counts.failed, canceled: counts.canceled }) as JobRow;
    const tally = tallyDependencies(edges, (row.on_dependency_failure ?? "fail") as DependencyFailurePolicy);
    if (tally.outcome === "DEFERRED") {
      this.steps.event("job:deferred", row, now);
      return row;
    }
    if (tally.outcome !== null && tally.firstBad !== null) {
      const ended = this.afterEnd(row, tally.firstBad, now) as JobRow;
      this.settle(ended, now);
      return ended;
    }
    return this.steps.queueAtTail(row, now);
  }

  /** HAS_DEPENDENTS when an unfinished job depends on the job or on a job of its subtree, or the subtree is unfinished; else the rows to delete. */
  removable(root: JobRow): JobRow[] {
    const rows = this.subtree(root);
    for (const row of rows) {
      if (row.id !== root.id && !isFinal(row.status as JobStatus)) throw new HasDependentsError(root.id, row.id);
      if (row.dependents > 0) {
        // (A dependent that is deleted with the subtree does not count.)
        const waiting = (this.st.anyUnfinishedDependent.pluck().all(row.id) as string[]).find((id) => !rows.some((r) => r.id === id));
        if (waiting !== undefined) throw new HasDependentsError(root.id, waiting);
      }
    }
    return rows;
  }

  /**
   * Which of the jobs retention (or a purge) reached go now: a flow's member waits for its root
   * (its expiry is cleared), a job an unfinished job needs is kept a while longer, and a root
   * whose flow has finished goes with every member. Returns the ids to delete; a job in no flow
   * and without dependents costs nothing here.
   */
  expired(rows: readonly ExpiredRow[], now: number | null): string[] {
    const out: string[] = [];
    for (const row of rows) {
      const id = row.id;
      if (row.flow_id === null && row.dependents === 0) {
        out.push(id);
        continue;
      }
      // (`now` null: a purge, which skips what it cannot delete and leaves its retention alone.)
      if (row.flow_id !== null && row.flow_id !== id) {
        if (now !== null) this.st.unexpire.run(id);
        continue;
      }
      if ((row.dependents > 0 && this.st.anyUnfinishedDependent.get(id) !== undefined) || (row.flow_id === id && this.st.anyUnfinishedMember.get(id) !== undefined)) {
        if (now !== null) this.st.postpone.run(now + KEEP_NEEDED_MS, id);
        continue;
      }
      if (row.flow_id === id) out.push(...(this.st.membersOfFlow.pluck().all(id, id) as string[]));
      out.push(id);
    }
    return out;
  }

  /** Forgets a deleted job's edges; the jobs it depended on count one dependent less. */
  forget(jobId: string): void {
    this.st.forgetDependent.run(jobId);
    this.st.deleteEdges.run(jobId);
    this.st.deleteEdgesTo.run(jobId);
  }

  /** Creates children of a running job under its lease; its DEFERRED dependents wait for them too. */
  addChildren(lease: Lease, jobs: readonly NewJob[], now: number, insert: (jobs: NewJob[]) => Job[]): Job[] {
    const parent = this.st.leased.get(lease.jobId, lease.token) as JobRow | undefined;
    if (parent === undefined) throw new LeaseLostError(lease.jobId);
    this.st.startFlow.run(parent.id);
    const flowId = parent.flow_id ?? parent.id;
    const children = insert(jobs.map((job) => ({ ...job, parentId: parent.id, flowId })));
    const dependents = this.st.uncountedDependents.pluck().all(parent.id) as string[];
    for (const dependentId of dependents) {
      for (const child of children) {
        const ended = isFinal(child.status);
        this.st.insertEdge.run(child.id, dependentId, ended ? 1 : 0);
        this.st.addDependent.run(child.id);
        const row = this.st.addEdgeToDependent.get({
          id: dependentId,
          child: child.id,
          waiting: ended ? 0 : 1,
          failed: child.status === "FAILED" ? 1 : 0,
          canceled: child.status === "CANCELED" ? 1 : 0,
        }) as JobRow;
        if (ended) {
          const after = this.afterEnd(row, child, now);
          if (after !== null) this.settle(after, now);
        }
      }
    }
    return children.map((child) => rowToJob(this.steps.require(child.id)));
  }

  /** The job's dependencies as they are now, in its dependsOn order. */
  outcomes(jobId: string): DependencyOutcome[] {
    const row = this.steps.find(jobId);
    if (row === undefined) throw new JobNotFoundError(jobId);
    if (row.depends_on === null) return [];
    const rows = this.st.outcomes.all(row.depends_on) as Array<{ id: string; task: string; status: JobStatus; result: string | null; error: string | null }>;
    return rows.map((r) => ({
      id: r.id,
      task: r.task,
      status: r.status,
      result: r.result === null ? null : (JSON.parse(r.result) as Json),
      error: r.error === null ? null : (JSON.parse(r.error) as JobError),
    }));
  }

  /** The jobs of these ids that exist, in the order asked. */
  byIds(ids: readonly string[]): Job[] {
    if (ids.length === 0) return [];
    return (this.st.jobsByIds.all(JSON.stringify(ids)) as JobRow[]).map(rowToJob);
  }
}
