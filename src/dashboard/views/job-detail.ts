// Job detail: status and actions, times, attempts, payload, result, progress, error with its
// stack, meta, its dependencies and flow, its limits (and what holds it back), and the timeline of every event (enqueued, started,
// retried, failed, completed) with its time and worker. All of it as text.
import { ApiError, jobPath, type EventView, type JobView, type TreeView } from "../api.js";
import { jobActions, statusBadge } from "../actions.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { between, dateTime, duration, json } from "../format.js";
import { dataTable, viewLink } from "../table.js";
import { dependencyFacts, dependencyProgress, flowTree, hasTree } from "./job-dependencies.js";
import { whyPanel } from "./job-explain.js";

function pair(label: string, value: Node | string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function facts(job: JobView): HTMLElement {
  const waited = between(job.enqueued_at ?? job.created_at, job.started_at);
  const ran = between(job.started_at, job.completed_at);
  return h(
    "dl",
    { class: "facts" },
    pair("Task", job.task),
    pair("Queue", job.queue),
    pair("Attempt", `${job.attempt} of ${job.max_attempts}`),
    // A retry restarts the attempt count: this is what tells an operator it happened.
    pair("Retried", job.retries > 0 ? `${job.retries}×` : "never"),
    pair("Worker", job.worker ?? "–"),
    pair("Timeout", job.timeout === undefined ? "–" : duration(job.timeout)),
    pair("Created", dateTime(job.created_at)),
    pair("Enqueued", dateTime(job.enqueued_at)),
    pair("Run at", dateTime(job.run_at)),
    pair("Started", `${dateTime(job.started_at)}${waited === null ? "" : ` (waited ${duration(waited)})`}`),
    pair("Finished", `${dateTime(job.completed_at)}${ran === null ? "" : ` (ran ${duration(ran)})`}`),
    pair("Idempotency key", job.idempotency_key ?? "–"),
    ...(job.schedule_id === null || job.schedule_id === undefined
      ? []
      : [
          ...pair("Schedule", h("span", { "data-testid": "job-schedule" }, viewLink("#/schedules", job.schedule_id, { class: "mono" }), " · ", viewLink(`#/jobs?schedule_id=${encodeURIComponent(job.schedule_id)}`, "its jobs"))),
          ...pair("Fire time", dateTime(job.fire_at)),
        ]),
    ...dependencyFacts(job).flatMap(([label, value]) => pair(label, value)),
    ...limitFacts(job),
  );
}

/** The job's limits (links to the Limits view) and how often its task put it off. */
function limitFacts(job: JobView): HTMLElement[] {
  const keys = job.limit_keys ?? [];
  const facts: HTMLElement[] = [];
  if (keys.length > 0) {
    const list = h("span", { "data-testid": "job-limits" }, keys.map(({ name, key }, i) => [i === 0 ? "" : ", ", viewLink("#/limits", `${name}=${key}`, { class: "mono" })]).flat());
    facts.push(...pair("Limits", list));
  }
  if ((job.postponements ?? 0) > 0) facts.push(...pair("Postponed", h("span", { "data-testid": "job-postponements" }, `${job.postponements ?? 0}× (RetryAfter; not counted as attempts)`)));
  return facts;
}

/** Why a QUEUED job under limits is not running, said where the status is. */
function heldBy(job: JobView): HTMLElement | null {
  if (job.held_by === null || job.held_by === undefined) return null;
  return h("p", { class: "panel held-by", "data-testid": "held-by" }, h("strong", {}, "Waiting: "), job.held_by, " · ", viewLink("#/limits", "limits"));
}

function block(title: string, content: string, testId: string): HTMLElement {
  return h("div", { class: "panel" }, h("h2", {}, title), h("pre", { class: "code", "data-testid": testId, tabindex: "0" }, content));
}

function errorBlock(job: JobView): HTMLElement | null {
  if (job.error === null || job.error === undefined) return null;
  return h(
    "div",
    { class: "panel panel-error" },
    h("h2", {}, "Error"),
    h("p", {}, h("span", { class: "badge status-failed" }, job.error.code), " ", h("span", { "data-testid": "error-message" }, job.error.message)),
    job.error.stack === undefined ? null : h("pre", { class: "code", "data-testid": "error-stack", tabindex: "0" }, job.error.stack),
  );
}

function timeline(events: EventView[]): HTMLElement {
  const columns = [{ label: "Time" }, { label: "Event" }, { label: "Status" }, { label: "Attempt", numeric: true }, { label: "Worker" }, { label: "Took", numeric: true }, { label: "Detail" }];
  const rows = events.map((e) => ({
    cells: [
      dateTime(e.at),
      e.type.replace(/^job:/, ""),
      statusBadge(e.status),
      e.attempt ?? "–",
      e.worker ?? "–",
      e.duration_ms === undefined ? "–" : duration(e.duration_ms / 1000),
      e.error !== undefined ? `${e.error.code}: ${e.error.message}` : e.progress !== undefined ? `progress ${JSON.stringify(e.progress)}` : "",
    ],
  }));
  return h("div", { class: "panel" }, h("h2", {}, "Timeline"), dataTable(columns, rows, "No events recorded."));
}

/** The page of one job. */
export function jobDetailView(ctx: ViewContext, id: string): View {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const title = h("h1", { id: "view-title", class: "mono" }, id);
  // The jobs of the flow last drawn: an event of any of them changes the page (its tree, its counts).
  let related = new Set([id]);
  return {
    title: `Job ${id}`,
    root: h("section", { "aria-labelledby": "view-title" }, h("p", {}, h("a", { href: "#/jobs" }, "← Jobs")), title, body),
    concerns: (event) => related.has(event.job_id),
    async refresh() {
      let job: JobView;
      let events: EventView[];
      let tree: TreeView | null;
      try {
        [job, { events }] = await Promise.all([ctx.api.get<JobView>(jobPath(id)), ctx.api.get<{ events: EventView[] }>(jobPath(id, "/events"))]);
        tree = hasTree(job) ? await ctx.api.get<TreeView>(jobPath(id, "/tree")) : null;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          replace(body, h("p", { class: "empty" }, "No job with this id (it may have been deleted or pruned)."));
          return;
        }
        throw error;
      }
      related = new Set([id, ...(tree?.jobs.map((j) => j.job_id) ?? [])]);
      const actions = jobActions(ctx, job, () => {
        location.hash = "#/jobs";
      });
      replace(
        body,
        h("div", { class: "view-head" }, h("div", { class: "detail-status", "data-testid": "job-status" }, statusBadge(job.status)), h("div", { class: "row-actions" }, actions)),
        h("div", { class: "detail-grid" }, h("div", { class: "panel" }, h("h2", {}, "Facts"), facts(job)), block("Meta", json(job.meta), "meta")),
        heldBy(job),
        whyPanel(ctx, job),
        errorBlock(job),
        dependencyProgress(job),
        tree === null ? null : flowTree(tree, id),
        h("div", { class: "detail-grid" }, block("Payload", json(job.payload), "payload"), block("Result", json(job.result), "result")),
        job.progress === null || job.progress === undefined ? null : block("Progress", json(job.progress), "progress"),
        timeline(events),
      );
    },
  };
}
