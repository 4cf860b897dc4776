// Jobs: filter by status, queue, task, project id, user id and schedule (kept in the URL hash), look
// a job up by id, and page through results with the API's cursor, newest first.
import { query, type JobPage, type JobView } from "../api.js";
import { jobActions, statusBadge } from "../actions.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { ago, between, dateTime, duration } from "../format.js";
import { dataTable, viewLink } from "../table.js";

const PAGE_SIZE = 50;
const FILTERS = ["status", "queue", "task", "project_id", "user_id", "schedule_id"] as const;
const STATUSES = ["", "PENDING", "DEFERRED", "SCHEDULED", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELED"];

type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function field(label: string, name: string, value: string | undefined, placeholder: string): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), h("input", { name, value: value ?? "", placeholder, autocomplete: "off", spellcheck: "false" }));
}

function filterForm(filters: Filters): HTMLFormElement {
  const status = h("select", { name: "status" }, STATUSES.map((s) => h("option", { value: s, selected: s === (filters.status ?? "") }, s === "" ? "any" : s)));
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter jobs" },
    h("label", { class: "field" }, h("span", {}, "Status"), status),
    field("Queue", "queue", filters.queue, "any"),
    field("Task", "task", filters.task, "any"),
    field("Project id", "project_id", filters.project_id, "any"),
    field("User id", "user_id", filters.user_id, "any"),
    field("Schedule", "schedule_id", filters.schedule_id, "any"),
    h("button", { type: "submit", class: "btn btn-primary" }, "Filter"),
    h("a", { href: "#/jobs", class: "btn" }, "Clear"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next: Record<string, string> = {};
    for (const name of FILTERS) {
      const value = data.get(name);
      next[name] = typeof value === "string" ? value.trim() : "";
    }
    location.hash = `#/jobs${query(next)}`;
  });
  return form;
}

function lookupForm(): HTMLFormElement {
  const input = h("input", { name: "id", placeholder: "job_…", "aria-label": "Job id", autocomplete: "off", spellcheck: "false", class: "mono" });
  const form = h("form", { class: "lookup", role: "search", "aria-label": "Look up a job by id" }, input, h("button", { type: "submit", class: "btn" }, "Open job"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id !== "") location.hash = `#/job/${encodeURIComponent(id)}`;
  });
  return form;
}

/** One row of a job listing (shared with the failed view). */
export function jobRow(ctx: ViewContext, job: JobView): { cells: Array<Node | string>; attrs: Record<string, string> } {
  const ran = between(job.started_at, job.completed_at);
  const meta = [job.meta.project_id, job.meta.user_id].filter((v) => v !== undefined).map(String).join(" / ");
  return {
    attrs: { "data-job": job.job_id, "data-status": job.status },
    cells: [
      viewLink(`#/job/${encodeURIComponent(job.job_id)}`, job.job_id, { class: "mono" }),
      job.task,
      job.queue,
      statusBadge(job.status),
      `${job.attempt}/${job.max_attempts}`,
      h("span", { title: dateTime(job.created_at) }, ago(job.created_at)),
      ran === null ? "–" : duration(ran),
      job.worker ?? "–",
      meta === "" ? "–" : meta,
      h("span", { class: "row-actions" }, jobActions(ctx, job)),
    ],
  };
}

/** Columns of a job listing. */
export const JOB_COLUMNS = [
  { label: "Job" }, { label: "Task" }, { label: "Queue" }, { label: "Status" }, { label: "Attempt", numeric: true },
  { label: "Created" }, { label: "Ran", numeric: true }, { label: "Worker" }, { label: "Project / user" }, { label: "" },
];

/** The jobs page for the filters in the hash's query. */
export function jobsView(ctx: ViewContext, params: URLSearchParams): View {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value !== null && value !== "") filters[name] = value;
  }
  const cursors: Array<string | null> = [null];
  let next: string | null = null;
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const newer = h("button", { type: "button", class: "btn", disabled: true }, "← Newer");
  const older = h("button", { type: "button", class: "btn", disabled: true }, "Older →");
  const pageInfo = h("span", { class: "muted" });
  const view: View = {
    title: "Jobs",
    root: h("section", { "aria-labelledby": "view-title" }, h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Jobs"), lookupForm()), filterForm(filters), body, h("nav", { class: "pager", "aria-label": "Pages" }, newer, pageInfo, older)),
    async refresh() {
      const cursor = cursors[cursors.length - 1] ?? undefined;
      const page = await ctx.api.get<JobPage>(`/jobs${query({ ...filters, limit: String(PAGE_SIZE), cursor })}`);
      next = page.next_cursor;
      newer.disabled = cursors.length === 1;
      older.disabled = next === null;
      pageInfo.textContent = `page ${cursors.length} · ${page.jobs.length} job${page.jobs.length === 1 ? "" : "s"}`;
      replace(body, dataTable(JOB_COLUMNS, page.jobs.map((job) => jobRow(ctx, job)), "No job matches these filters."));
    },
  };
  older.addEventListener("click", () => {
    if (next === null) return;
    cursors.push(next);
    ctx.refreshSoon();
  });
  newer.addEventListener("click", () => {
    if (cursors.length > 1) cursors.pop();
    ctx.refreshSoon();
  });
  return view;
}
