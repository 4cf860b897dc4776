// What every operation of the OpenAPI document says, whatever route declared it: a stable
// `operationId` made from its method and path, the error answers it can give (each with the
// shared error body), and a description for each answer instead of "Default Response". Applied
// as @fastify/swagger's `transform`, so it changes the document only, never validation.
import type { RouteOptions } from "fastify";

const ERROR_BODY = { $ref: "Error#" } as const;

/** The error answers, with what each means for a caller. */
const ERRORS: Record<number, string> = {
  400: "A field broke a rule (the message names the field and the rule); nothing changed",
  401: "No valid token: send `Authorization: Bearer <token>`",
  403: "The token does not allow this action",
  404: "No such job, schedule, batch, limit or route",
  409: "The current state does not allow this action (or, for a worker, the lease is stale); nothing changed",
  413: "The body is too large or too deeply nested",
  415: "The body is not JSON (`Content-Type: application/json`)",
  429: "Too many wrong tokens from this address: see `Retry-After`",
  503: "The store cannot be reached or refuses writes: retry later",
};

type Schema = Record<string, unknown> & { response?: Record<string, unknown>; summary?: string; operationId?: string; hide?: boolean };

function capital(word: string): string {
  return word.length === 0 ? word : word[0]?.toUpperCase() + word.slice(1);
}

/** `GET /jobs/:id/tree` → `getJobsByIdTree`: unique per method and path, stable across versions. */
export function operationIdOf(method: string, url: string): string {
  const parts = url
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => {
      const param = /^[:{](\w+)\}?$/.exec(segment);
      if (param !== null) return `By${capital(param[1] as string)}`;
      return segment.split(/[-_.]/).map(capital).join("");
    });
  return method.toLowerCase() + parts.join("");
}

/** The error codes an operation can answer: every one the store or the request can cause. */
function errorCodesOf(method: string, schema: Schema, route: RouteOptions): number[] {
  const codes = [503];
  const takesInput = schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined;
  if (takesInput) codes.push(400);
  if ((route.config as { public?: boolean } | undefined)?.public !== true) codes.push(401, 403, 429);
  if (schema.params !== undefined) codes.push(404);
  if (method !== "GET" && method !== "HEAD") codes.push(409);
  if (schema.body !== undefined) codes.push(413, 415);
  return codes;
}

/** @fastify/swagger's `transform`: the route's schema with the conventions above filled in. */
export function documentRoute({ schema, url, route }: { schema: unknown; url: string; route: RouteOptions }): { schema: Schema; url: string } {
  const given = (schema ?? {}) as Schema;
  if (given.hide === true) return { schema: given, url };
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string;
  const response: Record<string, unknown> = {};
  for (const [code, answer] of Object.entries(given.response ?? {})) {
    const body = answer as Record<string, unknown>;
    if (typeof body.description === "string") response[code] = body;
    else if (code.startsWith("2")) response[code] = { ...body, description: given.summary ?? "OK" };
    else response[code] = { ...body, description: ERRORS[Number(code)] ?? "An error: the body says which, with a stable code" };
  }
  for (const code of errorCodesOf(method, given, route)) {
    if (response[String(code)] === undefined) response[String(code)] = { ...ERROR_BODY, description: ERRORS[code] };
  }
  const documented: Schema = { ...given, operationId: given.operationId ?? operationIdOf(method, url), response };
  // A public route needs no token; one that says more with a token (health) takes it optionally.
  if ((route.config as { public?: boolean } | undefined)?.public === true && given.security === undefined) documented.security = [{}, { bearer: [] }];
  return { schema: documented, url };
}
