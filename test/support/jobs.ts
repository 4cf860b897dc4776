// Job factories for store tests: complete NewJob records with overridable fields.
import { DEFAULT_BACKOFF } from "../../src/core/job-rules.js";
import { newJobId } from "../../src/core/ids.js";
import type { Json, NewJob } from "../../src/core/job.js";

/** A valid NewJob; `overrides` replace any field. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  const payload: Json = overrides.payload ?? { n: 1 };
  return {
    id: newJobId(),
    task: "noop",
    payload,
    payloadText: JSON.stringify(payload),
    queue: "default",
    maxAttempts: 3,
    timeoutMs: 60_000,
    backoff: DEFAULT_BACKOFF,
    retryOnTimeout: false,
    meta: {},
    idempotencyKey: null,
    resultTtlSeconds: 3600,
    failureTtlSeconds: 7200,
    hold: false,
    delayMs: null,
    runAt: null,
    // As the client's own ids are (a caller's id is checked against existing jobs).
    freshId: overrides.id === undefined,
    ...overrides,
    metaText: JSON.stringify(overrides.meta ?? {}),
  };
}
