// Limits: every (limit, key) with a running or waiting job or an override, keys at their limit
// first: running of the concurrency, waiting jobs, rate and tokens left. Full-access sessions
// change a key's concurrency and rate (limit-form.ts) and clear its override (asked first).
import { limitPath, type LimitPage, type LimitView } from "../api.js";
import { actionButton } from "../actions.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { count, duration } from "../format.js";
import { editLimit } from "../limit-form.js";
import { dataTable } from "../table.js";

// A page of the API's largest size; more keys than this is a listing for the CLI.
const MAX_SHOWN = 500;

const COLUMNS = [
  { label: "Limit" }, { label: "Key" }, { label: "Running", numeric: true }, { label: "Waiting", numeric: true },
  { label: "Rate" }, { label: "Tokens", numeric: true }, { label: "State" }, { label: "" },
];

/** "10 per 1.0 s (burst 3)". */
function rateText(limit: LimitView): string {
  const rate = limit.rate;
  if (rate === null) return "–";
  return `${rate.limit} per ${duration(rate.period_ms / 1000)}${rate.burst === 1 ? "" : ` (burst ${rate.burst})`}`;
}

function label(limit: LimitView): string {
  return `${limit.name}, key ${limit.key}`;
}

function actions(ctx: ViewContext, limit: LimitView): HTMLButtonElement[] {
  if (!ctx.canAct) return [];
  return [
    actionButton(ctx, "Change", async () => {
      const change = await editLimit(limit);
      if (change === null) return;
      await ctx.api.call("PUT", limitPath(limit.name, limit.key), change);
      ctx.notify(`Changed the limits of ${label(limit)}`);
    }, { title: "Set this key's concurrency and rate (an override)" }),
    actionButton(ctx, "Clear", async () => {
      if (!(await ctx.confirm("Clear this key's override?", `${label(limit)} falls back to the limit's default (without an override, nothing changes).`, "Clear override"))) return;
      await ctx.api.call("DELETE", limitPath(limit.name, limit.key));
      ctx.notify(`Cleared the override of ${label(limit)}`);
    }, { danger: true, title: "Back to the limit's default" }),
  ];
}

function row(ctx: ViewContext, limit: LimitView): { cells: Array<Node | string>; attrs: Record<string, string> } {
  return {
    attrs: { "data-limit": limit.name, "data-key": limit.key, "data-at-limit": String(limit.at_limit) },
    cells: [
      h("strong", { class: "mono" }, limit.name),
      h("span", { class: "mono" }, limit.key),
      limit.concurrency === null ? count(limit.running) : `${count(limit.running)} / ${count(limit.concurrency)}`,
      count(limit.waiting),
      rateText(limit),
      limit.tokens === null ? "–" : String(Math.floor(limit.tokens)),
      limit.at_limit ? h("span", { class: "badge status-failed", title: "A job with this key cannot start now" }, "at limit") : h("span", { class: "badge worker-idle" }, "open"),
      h("span", { class: "row-actions" }, actions(ctx, limit)),
    ],
  };
}

/** The limits page. */
export function limitsView(ctx: ViewContext): View {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  return {
    title: "Limits",
    root: h("section", { "aria-labelledby": "view-title" }, h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Limits")), body),
    // A start or an end of any job may take or free a slot: the pacer keeps this cheap.
    concerns: (event) => event.type !== "job:progress",
    async refresh() {
      const page = await ctx.api.get<LimitPage>(`/limits?limit=${MAX_SHOWN}`);
      // Keys at their limit first: they are the ones an operator came to look at.
      const limits = [...page.limits].sort((a, b) => Number(b.at_limit) - Number(a.at_limit));
      const atLimit = limits.filter((l) => l.at_limit).length;
      const more = page.next_cursor === null ? "" : ` (showing the first ${count(MAX_SHOWN)} in name order; \`caudex limits\` lists them all)`;
      replace(
        body,
        h("p", { class: "muted summary" }, `${count(limits.length)} key${limits.length === 1 ? "" : "s"}, ${atLimit} at the limit${more}`),
        dataTable(COLUMNS, limits.map((l) => row(ctx, l)), "No limited keys. Declare limits on a task (limits: […]) or enqueue with limit_keys; docs/limits.md."),
      );
    },
  };
}
