// Job and queue actions as buttons: retry, cancel, delete, pause and resume. Read-only
// sessions get none. Cancel and delete ask first; every result is reported as a notice.
import { jobPath, type JobView } from "./api.js";
import { h } from "./dom.js";
import { reportFailure, type ViewContext } from "./context.js";

const CANCELABLE = new Set(["PENDING", "DEFERRED", "SCHEDULED", "QUEUED", "PROCESSING"]);
const RETRYABLE = new Set(["FAILED", "CANCELED"]);

/** A small action button that runs `run` and then refreshes the view. */
export function actionButton(ctx: ViewContext, label: string, run: () => Promise<void>, options: { danger?: boolean; title?: string } = {}): HTMLButtonElement {
  const button = h("button", { type: "button", class: options.danger === true ? "btn btn-small btn-danger" : "btn btn-small", title: options.title, "data-action": label.toLowerCase() }, label);
  button.addEventListener("click", () => {
    button.disabled = true;
    run()
      .catch(reportFailure(ctx, label))
      .finally(() => {
        button.disabled = false;
        ctx.refreshSoon();
      });
  });
  return button;
}

/** Retries one job. */
export async function retryJob(ctx: ViewContext, id: string): Promise<void> {
  await ctx.api.post(jobPath(id, "/retry"));
  ctx.notify(`Retried ${id}`);
}

/** Deletes one job after asking; resolves true when it was deleted. */
export async function deleteJob(ctx: ViewContext, id: string): Promise<boolean> {
  if (!(await ctx.confirm("Delete this job?", `${id} and its history are removed for good.`, "Delete"))) return false;
  await ctx.api.call("DELETE", jobPath(id));
  ctx.notify(`Deleted ${id}`);
  return true;
}

/** The buttons that fit a job's state; none for read-only sessions. */
export function jobActions(ctx: ViewContext, job: JobView, afterDelete?: () => void): HTMLButtonElement[] {
  if (!ctx.canAct) return [];
  const buttons: HTMLButtonElement[] = [];
  if (RETRYABLE.has(job.status)) buttons.push(actionButton(ctx, "Retry", () => retryJob(ctx, job.job_id)));
  if (CANCELABLE.has(job.status)) {
    buttons.push(
      actionButton(ctx, "Cancel", async () => {
        if (!(await ctx.confirm("Cancel this job?", `${job.job_id} (${job.task}) stops and will not run again unless retried.`, "Cancel job"))) return;
        await ctx.api.post(jobPath(job.job_id, "/cancel"));
        ctx.notify(`Canceled ${job.job_id}`);
      }, { danger: true }),
    );
  }
  if (job.status !== "PROCESSING") {
    buttons.push(
      actionButton(ctx, "Delete", async () => {
        if ((await deleteJob(ctx, job.job_id)) && afterDelete !== undefined) afterDelete();
      }, { danger: true }),
    );
  }
  return buttons;
}

/** Pause or resume button of a queue; null for read-only sessions. */
export function queueToggle(ctx: ViewContext, queue: string, paused: boolean): HTMLButtonElement | null {
  if (!ctx.canAct) return null;
  const verb = paused ? "resume" : "pause";
  return actionButton(ctx, paused ? "Resume" : "Pause", async () => {
    await ctx.api.post(`/queues/${encodeURIComponent(queue)}/${verb}`);
    ctx.notify(`${paused ? "Resumed" : "Paused"} queue ${queue}`);
  }, { title: `${paused ? "Resume" : "Pause"} queue ${queue}` });
}

/** A status badge. */
export function statusBadge(status: string): HTMLSpanElement {
  return h("span", { class: `badge status-${status.toLowerCase()}` }, status);
}
