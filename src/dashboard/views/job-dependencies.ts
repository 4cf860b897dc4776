// A job's links to other jobs on its page: what it depends on and who waits for it (facts), how
// its dependencies (a batch's members) have ended (a bar), and its flow's tree with each job's
// status, from GET /jobs/:id/tree. All of it as text and links.
import type { DependencyCountsView, JobView, TreeView } from "../api.js";
import { statusBadge } from "../actions.js";
import { h, type Child } from "../dom.js";
import { count, percent } from "../format.js";
import { viewLink } from "../table.js";

// The page names the first few dependencies; the tree shows the rest.
const DEPENDS_ON_LINKED = 10;

function jobLink(id: string): HTMLAnchorElement {
  return viewLink(`#/job/${encodeURIComponent(id)}`, id, { class: "mono" });
}

/** Whether the job has a tree worth drawing: it belongs to a flow or batch, or waits for other jobs. */
export function hasTree(job: JobView): boolean {
  return (job.flow_id ?? null) !== null || (job.depends_on_count ?? 0) > 0;
}

/** Label/value pairs of the facts list: depends on, policy, dependents, parent and flow (only those that apply). */
export function dependencyFacts(job: JobView): Array<[string, Node | string]> {
  const pairs: Array<[string, Node | string]> = [];
  const ids = job.depends_on ?? [];
  const total = job.depends_on_count ?? ids.length;
  if (total > 0) {
    const linked = ids.slice(0, DEPENDS_ON_LINKED);
    const links: Child[] = linked.flatMap((id, i) => (i === 0 ? [jobLink(id)] : [", ", jobLink(id)]));
    const more = total - linked.length;
    pairs.push(["Depends on", h("span", { "data-testid": "depends-on" }, links, more > 0 ? ` and ${count(more)} more (see the tree)` : null)]);
    pairs.push(["On dependency failure", job.on_dependency_failure ?? "fail"]);
  }
  pairs.push(["Dependents", h("span", { "data-testid": "dependents" }, count(job.dependents ?? 0))]);
  if ((job.parent_id ?? null) !== null) pairs.push(["Parent", h("span", { "data-testid": "parent" }, jobLink(job.parent_id as string))]);
  const flow = job.flow_id ?? null;
  if (flow !== null) pairs.push(["Flow", h("span", { "data-testid": "flow" }, flow === job.job_id ? "this job is its root" : jobLink(flow))]);
  return pairs;
}

/** The bar and counts of how a job's dependencies have ended; null for a job without any. */
export function dependencyProgress(job: JobView): HTMLElement | null {
  const counts = job.dependencies ?? null;
  if (counts === null) return null;
  const final = counts.total - counts.waiting;
  const part = (kind: keyof DependencyCountsView): HTMLElement | null => {
    if (counts[kind] === 0) return null;
    const segment = h("span", { class: `dep-${kind}`, title: `${counts[kind]} ${kind}` });
    // Through the CSSOM: the page's policy (style-src 'self') refuses style attributes.
    segment.style.width = `${(counts[kind] / Math.max(1, counts.total)) * 100}%`;
    return segment;
  };
  const legend = (kind: keyof DependencyCountsView, label: string): HTMLElement =>
    h("span", { "data-count": kind }, h("i", { class: `key key-${kind}` }), `${count(counts[kind])} ${label}`);
  return h(
    "div",
    { class: "panel", "data-testid": "dependency-progress" },
    h("h2", {}, "Dependencies"),
    h("p", { class: "summary", "data-testid": "dependency-summary" }, `${count(final)} of ${count(counts.total)} final (${percent(final, counts.total)})`),
    h("div", { class: "dep-bar", role: "img", "aria-label": `${final} of ${counts.total} dependencies final` }, part("completed"), part("failed"), part("canceled")),
    h("div", { class: "dep-counts" }, legend("completed", "completed"), legend("failed", "failed"), legend("canceled", "canceled"), legend("waiting", "waiting")),
  );
}

/**
 * Under which job each job of the tree is drawn: its owner when the tree holds it, else the
 * first job (breadth first) that lists it in depends_on, else the root.
 */
function childrenOf(tree: TreeView): Map<string, JobView[]> {
  const inTree = new Set(tree.jobs.map((job) => job.job_id));
  const firstDependent = new Map<string, string>();
  for (const job of tree.jobs) for (const id of job.depends_on ?? []) if (!firstDependent.has(id)) firstDependent.set(id, job.job_id);
  const children = new Map<string, JobView[]>();
  for (const job of tree.jobs) {
    if (job.job_id === tree.root_id) continue;
    const parent = job.parent_id ?? null;
    const under = parent !== null && inTree.has(parent) ? parent : (firstDependent.get(job.job_id) ?? tree.root_id);
    const list = children.get(under);
    if (list === undefined) children.set(under, [job]);
    else list.push(job);
  }
  return children;
}

/** The flow's tree as nested lists, the current job in bold; every job shows once. */
export function flowTree(tree: TreeView, currentId: string): HTMLElement {
  const children = childrenOf(tree);
  const drawn = new Set<string>();
  const item = (job: JobView): HTMLLIElement => {
    drawn.add(job.job_id);
    const below = (children.get(job.job_id) ?? []).filter((child) => !drawn.has(child.job_id));
    const waits = job.status === "DEFERRED" && job.dependencies !== null && job.dependencies !== undefined ? `waits for ${job.dependencies.waiting} of ${job.dependencies.total}` : "";
    return h(
      "li",
      { class: job.job_id === currentId ? "tree-current" : null, "data-job": job.job_id, "data-status": job.status },
      h("div", { class: "tree-row" }, statusBadge(job.status), job.job_id === currentId ? h("span", { class: "mono" }, job.job_id) : jobLink(job.job_id), job.task, h("span", { class: "muted" }, job.error ? `${job.error.code}: ${job.error.message}` : waits)),
      below.length === 0 ? null : h("ul", {}, below.map(item)),
    );
  };
  const root = tree.jobs.find((job) => job.job_id === tree.root_id);
  const items = root === undefined ? [] : [item(root)];
  // A guard for shapes the rules above do not foresee (depends_on lists only the first 100 ids).
  for (const job of tree.jobs) if (!drawn.has(job.job_id)) items.push(item(job));
  const finished = tree.jobs.filter((job) => job.status === "COMPLETED" || job.status === "FAILED" || job.status === "CANCELED").length;
  return h(
    "div",
    { class: "panel", "data-testid": "flow-tree" },
    h("div", { class: "panel-head" }, h("h2", {}, "Flow"), h("span", { class: "muted" }, `${count(tree.jobs.length)} jobs · ${count(finished)} final${tree.truncated ? " · more jobs than shown" : ""}`)),
    h("ul", { class: "tree" }, items),
  );
}
