// QUICK_REFERENCE.md: every `caudex …` command in its sh blocks is run through the built
// binary against a temp SQLite database — its --help, then the command itself (long-running
// ones on port 0 and stopped, or drained with --burst). JOB_ID is replaced by a real job in
// the state the command needs.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait-for.js";
import { CAUDEX_BIN, cleanEnv, collect, readRepoFile, requireBuild, ROOT, run, type RunResult } from "./deploy-files.js";

/** Splits a command line like a POSIX shell would for these simple cases (quotes, comments). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word = (word ?? "") + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word = word ?? "";
    } else if (ch === "#" && word === null) {
      break;
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (quote !== null) throw new Error(`unclosed quote in: ${line}`);
  if (word !== null) words.push(word);
  return words;
}

/** The `caudex` commands of the sh blocks, as argument lists (without "caudex"). */
function quickReferenceCommands(): string[][] {
  const text = readRepoFile("QUICK_REFERENCE.md");
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => shellWords(line))
    .filter((words) => words[0] === "caudex")
    .map((words) => words.slice(1));
}

const COMMANDS = quickReferenceCommands();
const LONG_RUNNING = new Set(["dev", "serve", "dashboard"]);
const READ_ONLY = new Set(["stats", "workers", "jobs", "job", "health", "failed"]);
const dir = mkdtempSync(join(tmpdir(), "caudex-quickref-"));
const env = cleanEnv({ CAUDEX_DB: join(dir, "data", "caudex.db"), INTERNAL_SERVICE_TOKEN: "quick-reference-token-0123456789", CAUDEX_LOG_LEVEL: "warn" });

function caudex(args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return run(process.execPath, [CAUDEX_BIN, ...args], { env, cwd: dir, timeoutMs });
}

async function enqueueId(args: readonly string[]): Promise<string> {
  const result = await caudex(["enqueue", ...args, "--json"]);
  if (result.code !== 0) throw new Error(`seeding failed: ${result.stderr}`);
  // --json prints the job as the HTTP API does (job_id).
  return (JSON.parse(result.stdout) as { job_id: string }).job_id;
}

async function statusOf(id: string): Promise<string> {
  const result = await caudex(["job", id, "--json"]);
  return (JSON.parse(result.stdout) as { status: string }).status;
}

/** Jobs for the JOB_ID placeholders: failed ones to retry, scheduled ones to cancel. */
const ids = { failed: [] as string[], scheduled: [] as string[] };

function withIds(args: readonly string[]): string[] {
  const pool = args.includes("cancel") ? ids.scheduled : args[0] === "job" ? [ids.scheduled[0] as string] : ids.failed;
  return args.map((arg) => {
    if (arg !== "JOB_ID") return arg;
    const id = args[0] === "job" ? pool[0] : pool.shift();
    if (id === undefined) throw new Error(`no job left for: caudex ${args.join(" ")}`);
    return id;
  });
}

/** Runs dev/serve on port 0 until it is serving, then stops it with SIGTERM. */
async function runServer(args: readonly string[]): Promise<RunResult> {
  const child = spawn(process.execPath, [CAUDEX_BIN, ...args, "--port", "0", "--log-level", "info"], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const done = collect(child, 30_000);
  const url = await waitFor(() => /http:\/\/[^\s/]+:\d+/.exec(output)?.[0] ?? (child.exitCode !== null ? "exited" : null), { timeoutMs: 15_000, what: `caudex ${args.join(" ")} to serve` });
  // Serving a request means start-up is over (signal handlers included), so SIGTERM is a stop.
  if (url !== "exited") await waitFor(async () => (await fetch(`${url}/monitoring/health`)).ok, { timeoutMs: 10_000, what: `${url} to answer` });
  child.kill("SIGTERM");
  return done;
}

describe("QUICK_REFERENCE.md", () => {
  let worker: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    requireBuild();
    // The reference's ./dist/tasks.js: here, the bundled example tasks.
    mkdirSync(join(dir, "dist"), { recursive: true });
    writeFileSync(join(dir, "dist", "tasks.js"), `export * from ${JSON.stringify(pathToFileURL(join(ROOT, "dist/examples/tasks.js")).href)};\n`);
    writeFileSync(join(dir, "jobs.jsonl"), '{"to": "a@example.com"}\n{"to": "b@example.com"}\n');
    // A worker in the background runs the jobs that --wait and the failures need.
    worker = spawn(process.execPath, [CAUDEX_BIN, "worker", "--tasks", "./dist/tasks.js", "--name", "reference-worker", "--grace-period", "0s"], { env, cwd: dir, stdio: "ignore" });
    const retries = COMMANDS.filter((c) => c.includes("JOB_ID") && !c.includes("cancel") && c[0] !== "job").length;
    for (let i = 0; i < retries; i++) ids.failed.push(await enqueueId(["flaky_import", "--max-attempts", "1"]));
    for (let i = 0; i < 2; i++) ids.scheduled.push(await enqueueId(["send_email", "--payload", '{"to": "later@example.com"}', "--delay", "1h"]));
    await waitFor(async () => (await Promise.all(ids.failed.map(statusOf))).every((s) => s === "FAILED"), { timeoutMs: 15_000, intervalMs: 100, what: "the seeded jobs to fail" });
  }, 60_000);

  afterAll(async () => {
    if (worker !== undefined && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker?.once("exit", resolve));
      worker.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists commands of every section", () => {
    const names = new Set(COMMANDS.map((c) => c[0]));
    for (const name of ["dev", "serve", "worker", "enqueue", "stats", "workers", "jobs", "job", "health", "failed", "retry", "cancel", "purge"]) {
      expect(names, name).toContain(name);
    }
  });

  it("has a --help for each command it names", async () => {
    const names = [...new Set(COMMANDS.map((c) => c[0] as string))];
    const results = await Promise.all(names.map((name) => caudex([name, "--help"])));
    names.forEach((name, i) => {
      expect(results[i]?.code, `caudex ${name} --help: ${results[i]?.stderr}`).toBe(0);
      expect(results[i]?.stdout).toContain(`Usage: caudex ${name}`);
    });
  });

  it("runs every command as written", async () => {
    const outcome = async (args: string[]): Promise<[string[], RunResult]> => {
      const name = args[0] as string;
      if (LONG_RUNNING.has(name)) return [args, await runServer(args)];
      if (name === "worker") return [args, await caudex(args.includes("--burst") ? args : [...args, "--burst"])];
      return [args, await caudex(withIds(args))];
    };
    // Commands that only read run side by side; the others one after the other, in order.
    const reads = COMMANDS.filter((args) => READ_ONLY.has(args[0] as string) && !args.some((a) => a.startsWith("--retry")));
    const results: Array<[string[], RunResult]> = [];
    for (const args of COMMANDS.filter((c) => !reads.includes(c))) results.push(await outcome(args));
    results.push(...(await Promise.all(reads.map(outcome))));
    for (const [args, result] of results) {
      const shown = `caudex ${args.join(" ")}`;
      // health exits 1 when it has a warning to give; that is the command working.
      const allowed = args[0] === "health" ? [0, 1] : [0];
      expect(allowed, `${shown}\nexit ${result.code}\n${result.stdout}\n${result.stderr}`).toContain(result.code);
      expect(result.stderr, shown).not.toContain("stack trace");
    }
    expect(results.length).toBe(COMMANDS.length);
  }, 60_000);
});
