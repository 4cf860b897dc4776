// Overview: health at a glance, live workers, totals, the last hour's throughput chart, and
// one row per queue with counts by status, oldest waiting age, failure rate and pause state.
import type { HealthView, QueueStatsView, ThroughputView, WorkerView } from "../api.js";
import { query } from "../api.js";
import { queueToggle } from "../actions.js";
import { sparkline, sumSeries, throughputChart, type Series } from "../chart.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { count, duration, percent } from "../format.js";
import { dataTable, viewLink } from "../table.js";

const STATUSES = ["PENDING", "DEFERRED", "SCHEDULED", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELED"];

interface OverviewData {
  health: HealthView;
  stats: QueueStatsView[];
  workers: WorkerView[];
  throughput: ThroughputView;
}

function card(label: string, value: string, note: string, kind = ""): HTMLElement {
  return h("div", { class: `card ${kind}`, "data-card": label.toLowerCase() }, h("div", { class: "card-label" }, label), h("div", { class: "card-value" }, value), h("div", { class: "card-note" }, note));
}

function totals(data: OverviewData, hour: Series): HTMLElement {
  const sum = (status: string): number => data.stats.reduce((n, q) => n + (q.counts[status] ?? 0), 0);
  const completed = hour.completed.reduce((a, b) => a + b, 0);
  const failed = hour.failed.reduce((a, b) => a + b, 0);
  const reasons = data.health.reasons ?? [];
  return h(
    "div",
    { class: "cards" },
    card("Health", data.health.status, reasons.length === 0 ? "all checks pass" : reasons.join("; "), `health-${data.health.status}`),
    card("Workers", String(data.workers.length), `${data.workers.filter((w) => w.state === "busy").length} busy`),
    card("Waiting", count(sum("QUEUED")), `${count(sum("SCHEDULED"))} scheduled · ${count(sum("DEFERRED"))} deferred`),
    card("Processing", count(sum("PROCESSING")), `${data.stats.length} queues`),
    card("Completed, last hour", count(completed), `${count(failed)} failed · ${percent(failed, completed + failed)} failure rate`),
    card("Failed", count(sum("FAILED")), "kept for inspection", sum("FAILED") > 0 ? "warn" : ""),
  );
}

function queueRows(ctx: ViewContext, data: OverviewData): HTMLElement {
  const columns = [{ label: "Queue" }, ...STATUSES.map((s) => ({ label: s.toLowerCase(), numeric: true })), { label: "Oldest waiting", numeric: true }, { label: "Last hour" }, { label: "Failure rate", numeric: true }, { label: "" }];
  const length = 60;
  const rows = data.stats.map((q) => {
    const series = data.throughput.queues[q.queue] ?? sumSeries([], length);
    const completed = series.completed.reduce((a, b) => a + b, 0);
    const failed = series.failed.reduce((a, b) => a + b, 0);
    return {
      attrs: { "data-queue": q.queue },
      cells: [
        h("span", { class: "queue-name" }, viewLink(`#/jobs${query({ queue: q.queue })}`, q.queue), q.paused ? h("span", { class: "badge paused" }, "paused") : null),
        ...STATUSES.map((s) => {
          const n = q.counts[s] ?? 0;
          return n === 0 ? h("span", { class: "zero" }, "0") : viewLink(`#/jobs${query({ queue: q.queue, status: s })}`, count(n), { "data-count": s });
        }),
        q.oldest_waiting_seconds === null ? "–" : duration(q.oldest_waiting_seconds),
        h("span", { class: "spark-cell" }, sparkline(series), `${count(completed)} ok · ${count(failed)} failed`),
        percent(failed, completed + failed),
        queueToggle(ctx, q.queue, q.paused),
      ],
    };
  });
  return dataTable(columns, rows, "No queues yet: enqueue a job and it appears here.");
}

/** The overview page. */
export function overviewView(ctx: ViewContext): View {
  const body = h("div", { class: "overview" }, h("p", { class: "loading" }, "Loading…"));
  const root = h("section", { "aria-labelledby": "view-title" }, h("h1", { id: "view-title" }, "Overview"), body);
  return {
    title: "Overview",
    root,
    async refresh() {
      const [health, stats, workers, throughput] = await Promise.all([
        ctx.api.get<HealthView>("/monitoring/health").catch((): HealthView => ({ status: "down" })),
        ctx.api.get<{ queues: QueueStatsView[] }>("/monitoring/queue/stats"),
        ctx.api.get<{ workers: WorkerView[] }>("/monitoring/queue/workers"),
        ctx.api.get<ThroughputView>("/dashboard/api/throughput"),
      ]);
      const data: OverviewData = { health, stats: stats.queues, workers: workers.workers, throughput };
      const hour = sumSeries(Object.values(throughput.queues), 60);
      replace(
        body,
        totals(data, hour),
        h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Throughput, last hour"), h("span", { class: "legend" }, h("i", { class: "key key-completed" }), "completed ", h("i", { class: "key key-failed" }), "failed")), throughputChart(hour, new Date(throughput.since), throughput.bucket_seconds, (root.clientWidth || 1000) - 30)),
        h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Queues")), queueRows(ctx, data)),
      );
    },
  };
}
