// Flows, batches and dependency outcomes as the API shows them, and flow and batch request
// bodies back into the core's FlowJob. The CLI's --json prints trees and batches through these.
import type { DependencyOutcome } from "../core/job.js";
import type { BatchRequest, BatchState, FlowJob, JobTree } from "../core/flows.js";
import { jobView } from "./views.js";
import { enqueueOptions, type EnqueueBody } from "./enqueue-body.js";

/** One job of POST /flows after validation: the fields of POST /jobs and its children. */
export interface FlowBody extends Omit<EnqueueBody, "idempotency_key"> {
  children?: FlowBody[];
}

/** Body of POST /batches after validation. */
export interface BatchBody {
  jobs: Array<Omit<EnqueueBody, "idempotency_key">>;
  callback: Omit<EnqueueBody, "idempotency_key">;
  on?: "success" | "always";
}

/** A job of a flow as the core takes it (its options from the API's fields), without children. */
function flowNode(body: Omit<FlowBody, "children">): FlowJob {
  const { task, payload, ...fields } = body;
  return { task, payload, options: enqueueOptions(fields) };
}

/**
 * The core's flow for a POST /flows body. Recursion is bounded by the body's nesting, which the
 * JSON parser limits; the core refuses a tree deeper than JOB_BOUNDS.maxFlowDepth.
 */
export function flowFromBody(body: FlowBody): FlowJob {
  const { children, ...fields } = body;
  const node = flowNode(fields);
  return children === undefined ? node : { ...node, children: children.map(flowFromBody) };
}

/** The core's batch request for a POST /batches body. */
export function batchFromBody(body: BatchBody): BatchRequest {
  return { jobs: body.jobs.map(flowNode), callback: flowNode(body.callback), ...(body.on === undefined ? {} : { on: body.on }) };
}

/** A batch as the API shows it. */
export function batchView(batch: BatchState): Record<string, unknown> {
  return { batch_id: batch.id, finished: batch.finished, counts: { ...batch.counts }, callback: jobView(batch.callback) };
}

/** A flow's tree as the API shows it. */
export function treeView(tree: JobTree): Record<string, unknown> {
  return { root_id: tree.rootId, truncated: tree.truncated, jobs: tree.jobs.map(jobView) };
}

/** A dependency's outcome as the API shows it. */
export function outcomeView(outcome: DependencyOutcome): Record<string, unknown> {
  const error = outcome.error;
  return {
    job_id: outcome.id,
    task: outcome.task,
    status: outcome.status,
    result: outcome.result,
    error: error === null ? null : { code: error.code, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) },
  };
}
