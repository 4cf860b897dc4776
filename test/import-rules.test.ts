// The module rules of docs/architecture.md, checked on the source: which folder may import which,
// where the drivers load, and no import cycles among runtime imports.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

/** Modules that assemble concrete stores into a library or a process (decision 0010). */
// The package entries (caudex, caudex/redis, caudex/postgres) and the places that open a store.
const COMPOSITION_ROOTS = ["src/connect.ts", "src/index.ts", "src/redis.ts", "src/postgres.ts", "src/cli/compose.ts"];

interface Import {
  from: string;
  /** A path relative to the repository for a local module, else the package name. */
  target: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

// Static imports and re-exports, with or without `type`, and dynamic import("…") calls.
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const from = relative(ROOT, file);
  const found: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[3] ?? match[4] ?? "";
    const typeOnly = match[2] !== undefined;
    const target = specifier.startsWith(".") ? relative(ROOT, resolve(dirname(file), specifier)).replace(/\.js$/, ".ts") : specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
    found.push({ from, target, typeOnly });
  }
  return found;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);
const local = (i: Import): boolean => i.target.startsWith("src/");
const storeOf = (path: string): string | null => /^src\/stores\/([^/]+)\//.exec(path)?.[1] ?? null;
const violations = (rule: (i: Import) => boolean): string[] => imports.filter(rule).map((i) => `${i.from} -> ${i.target}`);

describe("import rules", () => {
  it("finds the source and its imports", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.filter(local).length).toBeGreaterThan(200);
  });

  it("core imports nothing outside core", () => {
    expect(violations((i) => i.from.startsWith("src/core/") && local(i) && !i.target.startsWith("src/core/"))).toEqual([]);
  });

  it("a store imports only core and its own folder, never another store", () => {
    expect(violations((i) => storeOf(i.from) !== null && local(i) && !i.target.startsWith("src/core/") && storeOf(i.target) !== storeOf(i.from))).toEqual([]);
  });

  it("the server never imports a store, the CLI or the library's composition root", () => {
    expect(violations((i) => i.from.startsWith("src/server/") && local(i) && !i.target.startsWith("src/core/") && !i.target.startsWith("src/server/"))).toEqual([]);
  });

  it("the dashboard imports only its own modules: it talks to the HTTP API", () => {
    expect(violations((i) => i.from.startsWith("src/dashboard/") && local(i) && !i.target.startsWith("src/dashboard/"))).toEqual([]);
  });

  it("only the composition roots name a concrete store", () => {
    expect(violations((i) => storeOf(i.target) !== null && storeOf(i.from) === null && !COMPOSITION_ROOTS.includes(i.from))).toEqual([]);
  });

  it("each driver loads only inside its store, and the HTTP stack only in the server (and, as types, the CLI)", () => {
    const driverHome: Record<string, string> = { ioredis: "src/stores/redis/", "better-sqlite3": "src/stores/sqlite/", pg: "src/stores/postgres/" };
    expect(violations((i) => i.target in driverHome && !i.from.startsWith(driverHome[i.target] ?? ""))).toEqual([]);
    expect(violations((i) => i.target.startsWith("fastify") || i.target.startsWith("@fastify/") ? !(i.from.startsWith("src/server/") || (i.from.startsWith("src/cli/") && i.typeOnly)) : false)).toEqual([]);
  });

  it("OpenTelemetry (an optional peer dependency) is imported only by core/tracing.ts", () => {
    expect(violations((i) => i.target.startsWith("@opentelemetry/") && i.from !== "src/core/tracing.ts")).toEqual([]);
  });

  it("has no cycle among runtime imports", () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) if (local(i) && !i.typeOnly) edges.set(i.from, [...(edges.get(i.from) ?? []), i.target]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === "done") return;
      if (state.get(node) === "open") {
        cycles.push([...path.slice(path.indexOf(node)), node].join(" -> "));
        return;
      }
      state.set(node, "open");
      for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, "done");
    };
    for (const file of edges.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
