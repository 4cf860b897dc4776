// A module hook that makes every `@opentelemetry/*` import fail as it does when the package is not
// installed, so bench/tracing-cost.ts measures "absent" in a tree that has it as a devDependency.
// Use: node --import ./bench/without-opentelemetry.mjs …
import { register } from "node:module";

const hook = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@opentelemetry/")) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
