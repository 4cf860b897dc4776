// Explanations and enqueue warnings as the API shows them: the core's reasons in snake_case,
// times in ISO 8601 UTC; the CLI's --json prints the same.
import type { ExplainReason, Explanation } from "../core/explain.js";
import { iso } from "./views.js";

/** One reason on the wire: only the fields its code carries. */
export function reasonView(reason: ExplainReason): Record<string, unknown> {
  const view: Record<string, unknown> = { code: reason.code, message: reason.message };
  if (reason.until !== undefined) view.until = iso(reason.until);
  if (reason.queue !== undefined) view.queue = reason.queue;
  if (reason.task !== undefined) view.task = reason.task;
  if (reason.worker !== undefined) view.worker = reason.worker;
  if (reason.status !== undefined) view.status = reason.status;
  if (reason.attempt !== undefined) view.attempt = reason.attempt;
  if (reason.ahead !== undefined) view.ahead = reason.ahead;
  if (reason.atLeast !== undefined) view.at_least = reason.atLeast;
  if (reason.queues !== undefined) view.queues = reason.queues;
  if (reason.dependencies !== undefined) view.dependencies = reason.dependencies.map((d) => ({ job_id: d.id, task: d.task, status: d.status }));
  if (reason.waiting !== undefined) view.waiting = reason.waiting;
  if (reason.total !== undefined) view.total = reason.total;
  if (reason.limitKeys !== undefined) view.limit_keys = reason.limitKeys.map(({ name, key }) => ({ name, key }));
  if (reason.workers !== undefined) view.workers = reason.workers;
  if (reason.slots !== undefined) view.slots = reason.slots;
  return view;
}

/** GET /jobs/{id}/explain's answer. */
export function explanationView(explanation: Explanation): Record<string, unknown> {
  return { job_id: explanation.jobId, status: explanation.status, reasons: explanation.reasons.map(reasonView) };
}
