// The fields of a job in a request body (POST /jobs, and each job of a flow or batch) after
// validation, and their translation into the client's enqueue options.
import type { EnqueueOptions } from "../core/enqueue-options.js";
import type { DependencyFailurePolicy } from "../core/job.js";
import { metaFromBody } from "./views.js";

/** Body of POST /jobs after validation (a job of a flow or batch has the same fields). */
export interface EnqueueBody {
  task: string;
  payload: unknown;
  queue?: string;
  timeout?: number;
  max_attempts?: number;
  delay?: number;
  run_at?: string;
  idempotency_key?: string;
  meta?: Record<string, unknown>;
  depends_on?: string[];
  on_dependency_failure?: DependencyFailurePolicy;
  limit_keys?: Record<string, string>;
}

/** Turns the API's enqueue fields (seconds, ISO times, snake_case) into client options. */
export function enqueueOptions(body: Omit<EnqueueBody, "task" | "payload">): EnqueueOptions {
  const options: EnqueueOptions = {};
  if (body.queue !== undefined) options.queue = body.queue;
  if (body.timeout !== undefined) options.timeoutMs = Math.max(1, Math.round(body.timeout * 1000));
  if (body.max_attempts !== undefined) options.maxAttempts = body.max_attempts;
  if (body.delay !== undefined) options.delayMs = Math.round(body.delay * 1000);
  if (body.run_at !== undefined) options.runAt = Date.parse(body.run_at);
  if (body.idempotency_key !== undefined) options.idempotencyKey = body.idempotency_key;
  if (body.meta !== undefined) options.meta = metaFromBody(body.meta);
  if (body.depends_on !== undefined) options.dependsOn = body.depends_on;
  if (body.on_dependency_failure !== undefined) options.onDependencyFailure = body.on_dependency_failure;
  if (body.limit_keys !== undefined) options.limitKeys = body.limit_keys;
  return options;
}
