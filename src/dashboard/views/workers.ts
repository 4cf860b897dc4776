// Workers: every live worker with its host, pid, queues, state, current jobs, heartbeat age
// and processed/failed counts. Heartbeat ages are recomputed on each refresh.
import type { WorkerView } from "../api.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { ago, count } from "../format.js";
import { dataTable, viewLink } from "../table.js";

function heartbeat(worker: WorkerView): HTMLElement {
  const age = (Date.now() - Date.parse(worker.last_heartbeat)) / 1000;
  // A heartbeat older than a few beats is worth a glance: the worker may be stuck or gone.
  return h("span", { class: age > 15 ? "stale" : "" }, ago(worker.last_heartbeat));
}

/** The workers page. */
export function workersView(ctx: ViewContext): View {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const root = h("section", { "aria-labelledby": "view-title" }, h("h1", { id: "view-title" }, "Workers"), body);
  const columns = [
    { label: "Name" }, { label: "Host" }, { label: "PID", numeric: true }, { label: "Queues" }, { label: "State" },
    { label: "Current jobs" }, { label: "Heartbeat" }, { label: "Started" }, { label: "Processed", numeric: true }, { label: "Failed", numeric: true },
  ];
  return {
    title: "Workers",
    root,
    concerns: (event) => event.type === "job:started" || event.type === "job:completed" || event.type === "job:failed",
    async refresh() {
      const { workers } = await ctx.api.get<{ workers: WorkerView[] }>("/monitoring/queue/workers");
      const rows = workers.map((w) => ({
        attrs: { "data-worker": w.name },
        cells: [
          h("strong", {}, w.name),
          w.host,
          w.pid,
          w.queues.join(", "),
          h("span", { class: `badge worker-${w.state}` }, w.state),
          w.current_job_ids.length === 0 ? h("span", { class: "muted" }, `idle · ${w.concurrency} slots`) : h("span", { class: "job-list" }, w.current_job_ids.map((id) => viewLink(`#/job/${encodeURIComponent(id)}`, id, { class: "mono" }))),
          heartbeat(w),
          ago(w.started_at),
          count(w.processed),
          count(w.failed),
        ],
      }));
      replace(body, h("p", { class: "muted summary" }, `${workers.length} live worker${workers.length === 1 ? "" : "s"}`), dataTable(columns, rows, "No live worker. Start one with `caudex worker`."));
    },
  };
}
