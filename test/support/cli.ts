// Runs the built `caudex` binary as a real subprocess: once to completion, or in the
// background while a test watches its output and sends it signals.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait-for.js";

const ROOT = join(import.meta.dirname, "../..");
/** The built binary. */
export const CAUDEX_BIN = join(ROOT, "dist/cli/main.js");

// Test files run in parallel: the first to take the lock builds, the others wait for it.
const BUILD_LOCK = join(tmpdir(), `caudex-build-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.lock`);
const BUILT_MARK = `${BUILD_LOCK}.built`;
const STALE_LOCK_MS = 120_000;

/** Builds the package (src → dist) once for concurrent test files, so they run the binary users run. */
export async function buildCli(): Promise<void> {
  // A build newer than every source is reused: rebuilding would rewrite dist under the
  // subprocesses of a test file that is already running.
  if (existsSync(BUILT_MARK) && statSync(BUILT_MARK).mtimeMs > newestMtime(join(ROOT, "src"))) return;
  if (existsSync(BUILD_LOCK) && Date.now() - statSync(BUILD_LOCK).mtimeMs > STALE_LOCK_MS) rmSync(BUILD_LOCK, { force: true });
  let fd: number;
  try {
    fd = openSync(BUILD_LOCK, "wx");
  } catch {
    await waitFor(() => !existsSync(BUILD_LOCK), { timeoutMs: STALE_LOCK_MS, intervalMs: 100, what: "the build by another test file" });
    return;
  }
  try {
    build();
    writeFileSync(BUILT_MARK, new Date().toISOString());
  } finally {
    closeSync(fd);
    rmSync(BUILD_LOCK, { force: true });
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// The same steps as `npm run build`, with tsc incremental: a rebuild after a small change
// takes seconds instead of a minute. Without dist the build info is dropped, so a deleted
// dist is always rebuilt in full.
const BUILD_INFO = join(ROOT, "node_modules/.cache/caudex-cli-test.tsbuildinfo");

function build(): void {
  if (!existsSync(CAUDEX_BIN) || !existsSync(join(ROOT, "dist/index.js"))) rmSync(BUILD_INFO, { force: true });
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--incremental", "--tsBuildInfoFile", BUILD_INFO], { cwd: ROOT, stdio: "pipe" });
  } catch (error) {
    // tsc still emits when files elsewhere in the tree have type errors; the tests then run
    // what was emitted, and fail on their own if the CLI itself did not build.
    if (!existsSync(CAUDEX_BIN)) throw error;
  }
  execFileSync(process.execPath, ["scripts/copy-assets.mjs"], { cwd: ROOT, stdio: "pipe" });
  execFileSync(process.execPath, ["scripts/build-dashboard.mjs"], { cwd: ROOT, stdio: "pipe" });
}

/** The outcome of one run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of a run: extra environment (undefined removes a variable) and working directory. */
export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function environment(extra: CliOptions["env"]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CAUDEX_LOG_LEVEL: "info" };
  // The tests decide the store and tokens; the developer's shell must not.
  for (const name of ["REDIS_URL", "CAUDEX_POSTGRES_URL", "DATABASE_URL", "INTERNAL_SERVICE_TOKEN", "CAUDEX_TASKS", "CAUDEX_QUEUES", "RQ_QUEUE_NAMES", "PORT", "HOST"]) delete env[name];
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `caudex ...args` to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return child.exited.then((code) => ({ code, stdout: child.stdout(), stderr: child.stderr() }));
}

/** A `caudex` process running in the background. */
export interface CliProcess {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves once stdout or stderr matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `caudex ...args` in the background. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CAUDEX_BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: environment(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      waitFor(() => pattern.exec(stdout) ?? pattern.exec(stderr), { timeoutMs, what: `output matching ${String(pattern)}` }).catch(
        (error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        },
      ),
  };
}

/** A job as `--json` prints it: the HTTP API's job view (GET /jobs/{id}), the fields tests read. */
export interface JobJson {
  job_id: string;
  status: string;
  queue: string;
  task: string;
  attempt: number;
  max_attempts: number;
  retries: number;
  timeout: number;
  result: unknown;
  error: { code: string; message: string; stack?: string } | null;
  [field: string]: unknown;
}

/** Parses the stdout of a --json run. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}
