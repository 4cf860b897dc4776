// The one place that turns errors into HTTP answers: every error code has one status here,
// and every error body is {"error": {"code", "message"}}. Bad input is always a 4xx.
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { CaudexError, type ErrorCode } from "../core/errors.js";
import type { Logger } from "../core/logger.js";

/** HTTP status of every error code; docs/errors.md lists the same pairs (a test checks both). */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_PAYLOAD: 400,
  INVALID_OPTIONS: 400,
  UNKNOWN_TASK: 400,
  JOB_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  INVALID_CURSOR: 400,
  DEPENDENCY_NOT_FOUND: 400,
  DEPENDENCY_FAILED: 424,
  HAS_DEPENDENTS: 409,
  POSTPONED_TOO_OFTEN: 500,
  INVALID_SCHEDULE: 400,
  SCHEDULE_NOT_FOUND: 404,
  LEASE_LOST: 409,
  CONFIG_INVALID: 500,
  STORE_UNAVAILABLE: 503,
  STORE_MISCONFIGURED: 503,
  DRIVER_UNAVAILABLE: 500,
  TIMEOUT: 500,
  WAIT_TIMEOUT: 504,
  STALLED: 500,
  TASK_ERROR: 500,
  WORKER_NAME_TAKEN: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CSRF_REJECTED: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** Sends the error answer for `code`, with the status the catalogue gives it. */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const body: ErrorBody = { error: { code, message } };
  return reply.code(HTTP_STATUS_BY_CODE[code]).type("application/json; charset=utf-8").send(body);
}

/** Classifies Fastify's own errors (parsing, validation, limits) by their 4xx status. */
function codeOfFrameworkError(error: FastifyError): ErrorCode | null {
  if (error.validation !== undefined) return "BAD_REQUEST";
  const status = error.statusCode ?? 0;
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 404) return "NOT_FOUND";
  if (status >= 400 && status < 500) return "BAD_REQUEST";
  return null;
}

/**
 * A schema validation failure as a sentence naming the field and the rule it broke. Ajv says
 * "body must NOT have additional properties" without the property; this names it.
 */
export function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const where = `${error.validationContext ?? "request"}${first.instancePath ?? ""}`;
  const params = (first.params ?? {});
  if (first.keyword === "additionalProperties" && typeof params.additionalProperty === "string")
    return `${where}/${params.additionalProperty} is not a known field (rule: additionalProperties)`;
  if (first.keyword === "required" && typeof params.missingProperty === "string") return `${where}/${params.missingProperty} is required (rule: required)`;
  return `${where} ${first.message ?? "is not valid"} (rule: ${first.keyword})`;
}

/** Fastify's `frameworkErrors` option: errors raised before routing, such as a malformed URL. */
export function answerFrameworkError(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  void sendError(reply, codeOfFrameworkError(error) ?? "BAD_REQUEST", error.message);
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setNotFoundHandler((request, reply) => {
    void sendError(reply, "NOT_FOUND", `No route ${request.method} ${request.url.split("?")[0] ?? ""}`);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof CaudexError) {
      if (HTTP_STATUS_BY_CODE[error.code] >= 500) log.error("request failed", { url: request.url, code: error.code, error: error.message });
      return sendError(reply, error.code, error.message);
    }
    const code = codeOfFrameworkError(error);
    if (code !== null) return sendError(reply, code, error.validation !== undefined ? validationMessage(error) : error.message);
    log.error("unexpected error", { url: request.url, error: String(error), stack: error.stack });
    return sendError(reply, "INTERNAL", "An unexpected error occurred; the server log has the details");
  });
}
