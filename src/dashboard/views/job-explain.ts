// The "Why is it waiting?" panel of a job's page: the reasons of GET /jobs/{id}/explain in order,
// each with its stable code (docs/explain.md) and, for dependencies, links to their pages. Shown
// for jobs that are not final; for a running job only when its worker is gone. All of it as text.
import { jobPath, type JobView } from "../api.js";
import type { ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { viewLink } from "../table.js";

/** One reason as the API answers it (the fields the panel uses). */
interface ReasonView {
  code: string;
  message: string;
  dependencies?: Array<{ job_id: string; task: string; status: string }>;
}

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELED"]);

function reasonItem(reason: ReasonView): HTMLElement {
  const links = (reason.dependencies ?? []).map((d, i) => [i === 0 ? " · " : ", ", viewLink(`#/job/${encodeURIComponent(d.job_id)}`, d.job_id, { class: "mono" })]).flat();
  return h("li", { "data-code": reason.code }, h("span", { class: "badge why-code" }, reason.code), " ", h("span", { class: "why-message" }, reason.message), links);
}

/** The panel, filled once the explanation arrives; null for a final job. */
export function whyPanel(ctx: ViewContext, job: JobView): HTMLElement | null {
  if (FINAL.has(job.status)) return null;
  const list = h("ol", { class: "why-reasons", "data-testid": "why-reasons" }, h("li", { class: "loading" }, "Loading…"));
  const panel = h("div", { class: "panel why", "data-testid": "why-panel" }, h("h2", {}, "Why is it waiting?"), list);
  ctx.api.get<{ reasons: ReasonView[] }>(jobPath(job.job_id, "/explain")).then(
    ({ reasons }) => {
      // A running job on a live worker waits for nothing: the panel stays out of the way.
      if (reasons.length === 1 && reasons[0]?.code === "RUNNING") panel.hidden = true;
      replace(list, reasons.map(reasonItem));
      list.setAttribute("data-loaded", "true");
    },
    (error: unknown) => replace(list, h("li", { class: "empty" }, `Could not load the reasons: ${error instanceof Error ? error.message : String(error)}`)),
  );
  return panel;
}
