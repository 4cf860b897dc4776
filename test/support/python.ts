// Runs the Python package (clients/python) as real processes against a real `caudex serve`:
// Debian's python3 (the interpreter a Debian server has), the package from the repository, and
// the built CLI. Under CI=true a missing python3 fails instead of skipping.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startCli, type CliProcess } from "./cli.js";
import { waitFor } from "./wait-for.js";

const ROOT = join(import.meta.dirname, "../..");
/** The package's folder and the Python fixtures' folder, both on PYTHONPATH. */
export const PYTHON_PATH = [join(ROOT, "clients/python"), join(ROOT, "test/fixtures/python")].join(":");
/** Debian's interpreter when present (the pyenv or venv one on PATH may lack nothing, but is not what servers run). */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Test tokens of the Python tests' servers. */
export const PY_FULL_TOKEN = "python-full-token-0123456789";
export const PY_WORKER_TOKEN = "python-worker-token-0123456789";

/** True when python3 (3.9 or later) runs; under CI=true a missing one fails instead. */
export function pythonAvailable(): boolean {
  const probe = spawnSync(PYTHON, ["-c", "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)"], { stdio: "ignore" });
  const found = probe.status === 0;
  if (!found && process.env.CI === "true") throw new Error("python3 >= 3.9 is required under CI=true but is not installed");
  return found;
}

/** A Python process with its collected output (stdout and stderr together). */
export interface PythonProcess {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `python3 ...args` with the package on its path. */
export function startPython(args: readonly string[], env: Record<string, string> = {}): PythonProcess {
  const child = spawn(PYTHON, args, {
    cwd: join(ROOT, "test/fixtures/python"),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONPATH: PYTHON_PATH, PYTHONUNBUFFERED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      waitFor(() => pattern.exec(output), { timeoutMs, what: `python output matching ${String(pattern)}` }).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\noutput:\n${output}`);
      }),
  };
}

/** Starts `python3 -m caudex worker` on `url` with the fixture tasks and these extra flags. */
export function startPythonWorker(url: string, flags: readonly string[], env: Record<string, string> = {}): PythonProcess {
  return startPython(["-m", "caudex", "worker", "--url", url, "--tasks", "py_tasks", ...flags], { INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN, ...env });
}

/** A running `caudex serve` and its URL. */
export interface Served {
  server: CliProcess;
  url: string;
}

/** Starts `caudex serve` on a free port over the store named by `env` (CAUDEX_DB or REDIS_URL), with the full and worker tokens. */
export async function startServe(env: Record<string, string>): Promise<Served> {
  const server = startCli(["serve", "--host", "127.0.0.1", "--port", "0"], {
    env: { INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN, CAUDEX_WORKER_TOKEN: PY_WORKER_TOKEN, ...env },
  });
  const [, url] = await server.waitForOutput(/serving the API on (http:\/\/\S+)/);
  return { server, url: url as string };
}
