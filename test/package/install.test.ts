// The package as a user gets it: packed, installed from the tarball into a fresh project, and
// used from an ES module, a CommonJS module and strict TypeScript (no skipLibCheck).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installTarball, packPackage, REPO, runIn, type PackedPackage } from "../support/package-install.js";

const TSC = join(REPO, "node_modules/typescript/bin/tsc");

// Each consumer enqueues a job, runs a worker on it in the same process, and prints the result.
const ESM = `
import { Client, defineTask, SqliteStore, Worker, CaudexError } from "caudex";
import { RedisStore } from "caudex/redis";
const add = defineTask("add", async (p) => ({ sum: p.a + p.b }));
const store = new SqliteStore({ path: "esm.db" });
const client = new Client({ store });
const worker = new Worker({ store, tasks: [add] });
await worker.start();
const job = await client.enqueue(add, { a: 2, b: 3 });
const done = await client.wait(job.id, { timeoutMs: 10000 });
await worker.stop();
await client.close();
console.log(JSON.stringify({ status: done.status, result: done.result, redis: typeof RedisStore.connect, error: new CaudexError("INTERNAL", "x") instanceof Error }));
`;

const CJS = `
const { Client, defineTask, SqliteStore, Worker, isTaskDefinition } = require("caudex");
const { RedisStore } = require("caudex/redis");
const add = defineTask("add", async (p) => ({ sum: p.a + p.b }));
(async () => {
  const store = new SqliteStore({ path: "cjs.db" });
  const client = new Client({ store });
  const worker = new Worker({ store, tasks: [add] });
  await worker.start();
  const job = await client.enqueue(add, { a: 4, b: 5 });
  const done = await client.wait(job.id, { timeoutMs: 10000 });
  await worker.stop();
  await client.close();
  console.log(JSON.stringify({ status: done.status, result: done.result, redis: typeof RedisStore.connect, task: isTaskDefinition(add) }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

const TS = `
import { createClient, defineTask, Worker, SqliteStore, type Job } from "caudex";
const add = defineTask("add", async (p: { a: number; b: number }) => ({ sum: p.a + p.b }));
const client = await createClient({ sqlite: { path: "ts.db" } });
const worker = new Worker({ store: new SqliteStore({ path: "ts.db" }), tasks: [add] });
await worker.start();
const job = await client.enqueue(add, { a: 20, b: 22 });
const done = await client.wait(job, { timeoutMs: 10000 });
const sum: number | undefined = done.result?.sum;
const plain: Job = done;
await worker.stop();
await client.close();
console.log(JSON.stringify({ status: plain.status, result: { sum } }));
`;

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, skipLibCheck: false, outDir: "out", types: ["node"] },
  files: ["main.ts"],
};

// Relative links in the shipped Markdown, and docs/ paths named in shipped code, must lead to a shipped file.
function deadLinks(app: string, packed: PackedPackage): string[] {
  const shipped = new Set(packed.files.map((f) => normalize(f)));
  const exists = (path: string): boolean => shipped.has(path) || [...shipped].some((f) => f.startsWith(`${path}/`));
  const dead: string[] = [];
  for (const file of packed.files) {
    const text = readFileSync(join(app, "node_modules/caudex", file), "utf8");
    if (file.endsWith(".md")) {
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
        const path = normalize(join(dirname(file), decodeURIComponent(target.split("#")[0] ?? "")));
        if (!exists(path.replace(/\/$/, ""))) dead.push(`${file} → ${target}`);
      }
    } else if (/\.(js|cjs|d\.ts)$/.test(file)) {
      for (const [path] of text.matchAll(/\bdocs\/[\w./-]+\.md\b/g)) if (!exists(path)) dead.push(`${file} → ${path}`);
    }
  }
  return dead;
}

describe("the installed package", () => {
  let work: string;
  let packed: PackedPackage;
  let app: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "caudex-pack-"));
    packed = await packPackage(work);
    app = await installTarball(packed.tarball);
  }, 120_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  });

  it("ships a license, the repository, both module formats and no source maps", () => {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules/caudex/package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.repository).toEqual({ type: "git", url: "git+https://github.com/caudex/caudex.git" });
    expect(manifest.homepage).toMatch(/^https:\/\/github\.com\/caudex\/caudex/);
    expect(readFileSync(join(app, "node_modules/caudex/LICENSE"), "utf8")).toContain("Copyright (c) 2026 The Caudex authors");
    expect(packed.files).toContain("dist/cjs/index.js");
    expect(packed.files).toContain("dist/redis.d.ts");
    expect(packed.files.filter((f) => f.endsWith(".map") || f.includes(".test."))).toEqual([]);
    expect(packed.files.filter((f) => f.startsWith("src/") && !f.startsWith("src/examples/"))).toEqual([]);
  });

  it("has no relative link or docs/ path that leads outside the package", () => {
    expect(deadLinks(app, packed)).toEqual([]);
  });

  it("runs a job from an ES module", async () => {
    writeFileSync(join(app, "esm.mjs"), ESM);
    const out = JSON.parse(await runIn(app, process.execPath, ["esm.mjs"])) as unknown;
    expect(out).toEqual({ status: "COMPLETED", result: { sum: 5 }, redis: "function", error: true });
  });

  it("runs a job from a CommonJS module", async () => {
    writeFileSync(join(app, "cjs.cjs"), CJS);
    const out = JSON.parse(await runIn(app, process.execPath, ["cjs.cjs"])) as unknown;
    expect(out).toEqual({ status: "COMPLETED", result: { sum: 9 }, redis: "function", task: true });
  });

  it("compiles under strict TypeScript without skipLibCheck or the drivers' types, with typed results", async () => {
    writeFileSync(join(app, "main.ts"), TS);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG));
    expect(existsSync(join(app, "node_modules/@types/better-sqlite3"))).toBe(false);
    await runIn(app, process.execPath, [TSC, "-p", "tsconfig.json"]);
    const out = JSON.parse(await runIn(app, process.execPath, ["out/main.js"])) as unknown;
    expect(out).toEqual({ status: "COMPLETED", result: { sum: 42 } });
  });
});
