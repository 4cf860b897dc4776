// Schedules: every schedule with its timing, next and last fire, its last job's status (a link
// to the job) and whether it is paused; full-access sessions pause, resume, trigger or remove
// one (remove asks first). Changing a definition is the API's and the CLI's business.
import { schedulePath, type JobView, type SchedulePage, type ScheduleView } from "../api.js";
import { actionButton, statusBadge } from "../actions.js";
import type { View, ViewContext } from "../context.js";
import { h, replace } from "../dom.js";
import { count, dateTime, duration, relative } from "../format.js";
import { dataTable, viewLink } from "../table.js";

// A page of the API's largest size; more schedules than this is a listing for the CLI.
const MAX_SHOWN = 500;

const COLUMNS = [
  { label: "Schedule" }, { label: "Task" }, { label: "Timing" }, { label: "Next fire" }, { label: "Last fire" },
  { label: "Last job" }, { label: "Jobs" }, { label: "State" }, { label: "" },
];

function timing(schedule: ScheduleView): string {
  if (schedule.cron !== null) return schedule.tz === "UTC" ? schedule.cron : `${schedule.cron} (${schedule.tz})`;
  return schedule.every === null ? "–" : `every ${duration(schedule.every)}`;
}

function when(iso: string | null, empty: string): HTMLElement | string {
  return iso === null ? empty : h("span", { title: dateTime(iso) }, relative(iso));
}

function lastJob(schedule: ScheduleView): Node | string {
  const job = schedule.last_job;
  if (job === null) return "–";
  return h(
    "span",
    { class: "last-job", "data-testid": "last-job" },
    viewLink(`#/job/${encodeURIComponent(job.job_id)}`, job.job_id, { class: "mono" }),
    " ",
    job.status === null ? h("span", { class: "muted" }, "pruned") : statusBadge(job.status),
  );
}

function actions(ctx: ViewContext, schedule: ScheduleView): HTMLButtonElement[] {
  if (!ctx.canAct) return [];
  const id = schedule.schedule_id;
  const toggle = schedule.paused
    ? actionButton(ctx, "Resume", async () => {
        await ctx.api.post(schedulePath(id, "/resume"));
        ctx.notify(`Resumed schedule ${id}`);
      }, { title: "Fire again from now on (missed fires are not made up)" })
    : actionButton(ctx, "Pause", async () => {
        await ctx.api.post(schedulePath(id, "/pause"));
        ctx.notify(`Paused schedule ${id}`);
      }, { title: "Stop firing until resumed" });
  return [
    toggle,
    actionButton(ctx, "Trigger", async () => {
      const job = await ctx.api.post<JobView>(schedulePath(id, "/trigger"));
      ctx.notify(`Triggered ${id}: ${job.job_id}`);
    }, { title: "Enqueue its job now; the next fire does not move" }),
    actionButton(ctx, "Remove", async () => {
      if (!(await ctx.confirm("Remove this schedule?", `${id} (${schedule.task}, ${timing(schedule)}) fires no more; its jobs stay. Added again later, it starts afresh.`, "Remove"))) return;
      await ctx.api.call("DELETE", schedulePath(id));
      ctx.notify(`Removed schedule ${id}`);
    }, { danger: true }),
  ];
}

function row(ctx: ViewContext, schedule: ScheduleView): { cells: Array<Node | string>; attrs: Record<string, string> } {
  return {
    attrs: { "data-schedule": schedule.schedule_id, "data-paused": String(schedule.paused) },
    cells: [
      h("strong", { class: "mono" }, schedule.schedule_id),
      schedule.task,
      h("span", { class: "mono" }, timing(schedule)),
      when(schedule.next_fire_at, "–"),
      when(schedule.last_fire_at, "never"),
      lastJob(schedule),
      viewLink(`#/jobs?schedule_id=${encodeURIComponent(schedule.schedule_id)}`, "jobs"),
      schedule.paused ? h("span", { class: "badge paused" }, "paused") : h("span", { class: "badge worker-idle" }, "running"),
      h("span", { class: "row-actions" }, actions(ctx, schedule)),
    ],
  };
}

/** The schedules page. */
export function schedulesView(ctx: ViewContext): View {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  // Only a job of a shown schedule, or a new job of one of their tasks (a fire), changes the page;
  // next fire times move on the shell's timer.
  let lastJobs = new Set<string>();
  let tasks = new Set<string>();
  return {
    title: "Schedules",
    root: h("section", { "aria-labelledby": "view-title" }, h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Schedules")), body),
    concerns: (event) => lastJobs.has(event.job_id) || (event.type === "job:enqueued" && tasks.has(event.task)),
    async refresh() {
      const page = await ctx.api.get<SchedulePage>(`/schedules?limit=${MAX_SHOWN}`);
      lastJobs = new Set(page.schedules.flatMap((s) => (s.last_job === null ? [] : [s.last_job.job_id])));
      tasks = new Set(page.schedules.map((s) => s.task));
      const paused = page.schedules.filter((s) => s.paused).length;
      const more = page.next_cursor === null ? "" : ` (showing the first ${count(MAX_SHOWN)}; \`caudex schedules\` lists them all)`;
      replace(
        body,
        h("p", { class: "muted summary" }, `${count(page.schedules.length)} schedule${page.schedules.length === 1 ? "" : "s"}, ${paused} paused${more}`),
        dataTable(COLUMNS, page.schedules.map((s) => row(ctx, s)), "No schedules. Declare one with defineSchedule() in the tasks module, or PUT /schedules/{id}."),
      );
    },
  };
}
