// Failed jobs grouped by error code and message, so one broken dependency shows as one line:
// retry or delete a group, retry one job, or retry every failed job at once.
import { jobPath, type JobPage, type JobView } from "../api.js";
import { actionButton } from "../actions.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { ago, count } from "../format.js";
import { dataTable } from "../table.js";
import { JOB_COLUMNS, jobRow } from "./jobs.js";

// Enough for any sane backlog; beyond it the page says so and "Retry all" still covers all.
const MAX_SHOWN = 2000;

interface Group {
  key: string;
  code: string;
  message: string;
  jobs: JobView[];
}

async function loadFailed(ctx: ViewContext): Promise<{ jobs: JobView[]; more: boolean }> {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  do {
    const page: JobPage = await ctx.api.get<JobPage>(`/monitoring/queue/failed?limit=500${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
  } while (cursor !== null && jobs.length < MAX_SHOWN);
  return { jobs, more: cursor !== null };
}

function groupsOf(jobs: JobView[]): Group[] {
  const groups = new Map<string, Group>();
  for (const job of jobs) {
    const code = job.error?.code ?? "UNKNOWN";
    const message = job.error?.message ?? "(no message)";
    const key = `${code}\u0000${message}`;
    const group = groups.get(key) ?? { key, code, message, jobs: [] };
    group.jobs.push(job);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.jobs.length - a.jobs.length);
}

async function eachJob(ctx: ViewContext, jobs: JobView[], run: (job: JobView) => Promise<unknown>): Promise<number> {
  let done = 0;
  // A few at a time: quick for a group of hundreds, gentle on the server.
  for (let i = 0; i < jobs.length; i += 8) {
    const results = await Promise.allSettled(jobs.slice(i, i + 8).map(run));
    done += results.filter((r) => r.status === "fulfilled").length;
  }
  if (done < jobs.length) ctx.notify(`${jobs.length - done} of ${jobs.length} could not be changed (their state moved on)`, "error");
  return done;
}

function groupActions(ctx: ViewContext, group: Group): HTMLElement | null {
  if (!ctx.canAct) return null;
  const n = group.jobs.length;
  return h(
    "span",
    { class: "row-actions" },
    actionButton(ctx, "Retry group", async () => {
      const done = await eachJob(ctx, group.jobs, (job) => ctx.api.post("/monitoring/queue/failed", { job_id: job.job_id }));
      ctx.notify(`Retried ${done} job${done === 1 ? "" : "s"}`);
    }),
    actionButton(ctx, "Delete group", async () => {
      if (!(await ctx.confirm(`Delete ${n} failed job${n === 1 ? "" : "s"}?`, `Every job failing with ${group.code}: ${group.message} is removed for good.`, "Delete"))) return;
      const done = await eachJob(ctx, group.jobs, (job) => ctx.api.call("DELETE", jobPath(job.job_id)));
      ctx.notify(`Deleted ${done} job${done === 1 ? "" : "s"}`);
    }, { danger: true }),
  );
}

function groupPanel(ctx: ViewContext, group: Group, open: Set<string>): HTMLElement {
  const queues = [...new Set(group.jobs.map((j) => j.queue))].join(", ");
  const tasks = [...new Set(group.jobs.map((j) => j.task))].join(", ");
  const details = h(
    "details",
    { class: "group", open: open.has(group.key), "data-group": group.code },
    h("summary", {}, h("span", { class: "group-count" }, count(group.jobs.length)), h("span", { class: "badge status-failed" }, group.code), h("span", { class: "group-message" }, group.message), h("span", { class: "muted" }, `${tasks} · ${queues} · last ${ago(group.jobs[0]?.completed_at ?? group.jobs[0]?.created_at)}`)),
    dataTable(JOB_COLUMNS, group.jobs.map((job) => jobRow(ctx, job)), ""),
  );
  details.addEventListener("toggle", () => (details.open ? open.add(group.key) : open.delete(group.key)));
  return h("div", { class: "group-wrap" }, details, groupActions(ctx, group));
}

/** The failed-jobs page. */
export function failedView(ctx: ViewContext): View {
  const open = new Set<string>();
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const head = h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Failed"));
  const retryAll = ctx.canAct
    ? actionButton(ctx, "Retry all", async () => {
        if (!(await ctx.confirm("Retry every failed job?", "All failed jobs of every queue go back to QUEUED.", "Retry all"))) return;
        const { retried } = await ctx.api.post<{ retried: number }>("/monitoring/queue/failed", { all: true });
        ctx.notify(`Retried ${retried} job${retried === 1 ? "" : "s"}`);
      })
    : null;
  if (retryAll !== null) head.appendChild(retryAll);
  return {
    title: "Failed",
    root: h("section", { "aria-labelledby": "view-title" }, head, body),
    concerns: (event) => event.type === "job:failed" || event.type === "job:enqueued" || event.type === "job:removed" || event.status === "FAILED",
    async refresh() {
      const { jobs, more } = await loadFailed(ctx);
      const groups = groupsOf(jobs);
      if (retryAll !== null) retryAll.disabled = jobs.length === 0;
      replace(
        body,
        h("p", { class: "muted summary" }, `${count(jobs.length)}${more ? "+" : ""} failed job${jobs.length === 1 ? "" : "s"} in ${groups.length} group${groups.length === 1 ? "" : "s"}${more ? ` (showing the newest ${count(MAX_SHOWN)})` : ""}`),
        groups.length === 0 ? h("p", { class: "empty" }, "No failed jobs.") : groups.map((g) => groupPanel(ctx, g, open)),
      );
    },
  };
}
