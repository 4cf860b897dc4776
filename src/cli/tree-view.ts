// How a flow's tree and a batch look in the terminal: one indented line per job under the job
// it belongs to, and a batch's counts. Each job shows once, even when several jobs wait for it.
import type { BatchState, JobTree } from "../core/flows.js";
import type { Job } from "../core/job.js";
import { dependencySummary } from "./job-view.js";
import { renderPairs } from "./table.js";

/**
 * Under which job each job of the tree is drawn: its owner (a flow's parent, a batch's
 * callback, the job that added it) when the tree holds it, else the first job, in the tree's
 * breadth-first order, that depends on it.
 */
function childrenOf(tree: JobTree): Map<string, Job[]> {
  const inTree = new Set(tree.jobs.map((job) => job.id));
  const firstDependent = new Map<string, string>();
  for (const job of tree.jobs) for (const id of job.dependsOn) if (!firstDependent.has(id) && id !== job.id) firstDependent.set(id, job.id);
  const children = new Map<string, Job[]>();
  for (const job of tree.jobs) {
    if (job.id === tree.rootId) continue;
    const under = job.parentId !== null && inTree.has(job.parentId) ? job.parentId : (firstDependent.get(job.id) ?? tree.rootId);
    const list = children.get(under);
    if (list === undefined) children.set(under, [job]);
    else list.push(job);
  }
  return children;
}

/** One job's line: id, task, status, and what it waits for or why it failed. */
function jobLine(job: Job): string {
  const detail =
    job.error !== null
      ? `  ${job.error.code}: ${job.error.message}`
      : job.status === "DEFERRED" && job.dependencies !== null
        ? `  waits for ${job.dependencies.waiting} of ${job.dependencies.total}`
        : "";
  return `${job.id}  ${job.task}  ${job.status}${detail}`;
}

/** The tree as indented lines from its root; jobs no line reaches are listed under the root. */
export function renderTree(tree: JobTree): string {
  const byId = new Map(tree.jobs.map((job) => [job.id, job]));
  const root = byId.get(tree.rootId);
  if (root === undefined) return "No jobs.";
  const children = childrenOf(tree);
  const drawn = new Set<string>();
  const lines: string[] = [];
  const draw = (job: Job, prefix: string, branch: string, last: boolean): void => {
    drawn.add(job.id);
    lines.push(`${prefix}${branch}${jobLine(job)}`);
    const below = (children.get(job.id) ?? []).filter((child) => !drawn.has(child.id));
    const next = branch === "" ? "" : prefix + (last ? "   " : "│  ");
    below.forEach((child, i) => draw(child, next, i === below.length - 1 ? "└─ " : "├─ ", i === below.length - 1));
  };
  draw(root, "", "", true);
  // A guard for shapes the rules above do not foresee: every job is shown once.
  const missed = tree.jobs.filter((job) => !drawn.has(job.id));
  missed.forEach((job, i) => draw(job, "", i === missed.length - 1 ? "└─ " : "├─ ", i === missed.length - 1));
  const finished = tree.jobs.filter((job) => job.status === "COMPLETED" || job.status === "FAILED" || job.status === "CANCELED").length;
  lines.push("", `${tree.jobs.length} job(s), ${finished} final${tree.truncated ? `; the flow has more jobs than the ${tree.jobs.length} shown` : ""}.`);
  return lines.join("\n");
}

/** A batch's id, callback, counts and whether it is finished. */
export function renderBatch(batch: BatchState): string {
  return renderPairs([
    ["batch", batch.id],
    ["callback", `${batch.callback.task}, ${batch.callback.status}${batch.callback.error === null ? "" : ` (${batch.callback.error.code}: ${batch.callback.error.message})`}`],
    ["members", dependencySummary(batch.counts)],
    ["finished", batch.finished ? "yes" : "no"],
  ]);
}
