// Request bodies are JSON only: an empty body means "no body", anything deeper than the depth
// limit is refused before it is parsed, and the rest goes to Fastify's own safe parser
// (which rejects __proto__ and constructor.prototype keys, with a message saying so).
import type { FastifyInstance } from "fastify";
import { CaudexError } from "../core/errors.js";

/** Nesting depth of a JSON text, counted without parsing it (strings are skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Route config: `{ config: { extraJsonDepth: n } }` lets that route's bodies nest n levels
 * deeper than the server's limit (a flow's tree takes two levels per level of children).
 */
export interface JsonDepthRouteConfig {
  extraJsonDepth?: number;
}

// The route config field that the parser reads, known to Fastify's route option types.
declare module "fastify" {
  interface FastifyContextConfig {
    extraJsonDepth?: number;
  }
}

/** Makes JSON the only body type, parsed with the `maxDepth` limit (plus a route's `extraJsonDepth`). */
export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser("error", "error");
  // JSON only: without a parser for text/plain, such bodies get 415 instead of a string.
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    const limit = maxDepth + ((request.routeOptions.config as JsonDepthRouteConfig | undefined)?.extraJsonDepth ?? 0);
    if (jsonDepth(text) > limit) {
      done(new CaudexError("PAYLOAD_TOO_LARGE", `The JSON body is nested deeper than ${limit} levels`), undefined);
      return;
    }
    void parse(request, text, (error, value) => {
      // Fastify's parser calls every refusal "not valid JSON"; valid JSON it refused is poisoned.
      if (error !== null && isJson(text)) {
        done(new CaudexError("BAD_REQUEST", 'The JSON body has a "__proto__" key or a "constructor" key with "prototype" inside; such keys are refused'), undefined);
        return;
      }
      done(error, value);
    });
  });
}
