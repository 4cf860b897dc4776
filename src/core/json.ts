// Bounds for untrusted JSON: payloads, results and metadata are plain JSON, limited in size
// and depth, and never evaluated.
import { CaudexError, InvalidPayloadError } from "./errors.js";
import { PAYLOAD_JSON_LIMITS } from "./job-rules.js";

/** Limits applied to every payload, result and meta object. */
export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}


function depthProblem(value: unknown, depth: number, maxDepth: number): string | null {
  // Recursive, but never deeper than maxDepth (32 by default): a hostile, deeply nested value
  // stops at the limit instead of overflowing the stack. No allocations: this runs per enqueue.
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return "numbers must be finite";
    if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") return `${typeof value} is not JSON`;
    return null;
  }
  if (depth >= maxDepth) return `nesting deeper than ${maxDepth} levels`;
  if (Array.isArray(value)) {
    for (const child of value) {
      const problem = depthProblem(child, depth + 1, maxDepth);
      if (problem !== null) return problem;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return "only plain objects, arrays, strings, numbers, booleans and null are allowed";
  // A plain object's prototype has no enumerable properties: for...in sees its own ones only.
  for (const key in value) {
    const problem = depthProblem((value as Record<string, unknown>)[key], depth + 1, maxDepth);
    if (problem !== null) return problem;
  }
  return null;
}

/** Encodes `value` as JSON once, checking it is plain JSON within the limits. */
export function encodeJson(value: unknown, what: string, limits: JsonLimits = PAYLOAD_JSON_LIMITS): string {
  const problem = depthProblem(value, 0, limits.maxDepth);
  if (problem !== null) throw new InvalidPayloadError(`${what} is not valid JSON: ${problem}`);
  const text = JSON.stringify(value === undefined ? null : value);
  // A UTF-16 unit is at most 3 UTF-8 bytes: most texts need no byte count.
  if (text.length * 3 > limits.maxBytes && Buffer.byteLength(text) > limits.maxBytes) {
    throw new InvalidPayloadError(`${what} is larger than ${limits.maxBytes} bytes`);
  }
  return text;
}

/**
 * A task's result as stored JSON text, within the same limits as payloads. A result that is not
 * plain JSON or is too large is the task's fault: it throws TASK_ERROR, and the worker fails the
 * job for good instead of letting its lease expire and running it again.
 */
export function encodeResult(result: unknown): string {
  try {
    return encodeJson(result, "The task's result");
  } catch (error) {
    throw new CaudexError("TASK_ERROR", `The task's result cannot be stored: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Progress is reported often and kept on the job and in its timeline: 64 KiB, 16 levels. */
export const PROGRESS_JSON_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 16 };

/** A progress report as stored JSON text; INVALID_PAYLOAD when it is not plain JSON or too large. */
export function encodeProgress(progress: unknown): string {
  return encodeJson(progress, "Progress", PROGRESS_JSON_LIMITS);
}
