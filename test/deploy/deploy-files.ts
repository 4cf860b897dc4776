// Reads the deployment files the tests check (Compose, Kubernetes, Dockerfile, unit files) and
// runs the built `caudex` binary; the tests compare these files with what the code does.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

/** The repository root. */
export const ROOT = join(import.meta.dirname, "../..");
/** The built binary (`npm run build` first; `npm test` does). */
export const CAUDEX_BIN = join(ROOT, "dist/cli/main.js");

/** Fails with a clear message when the package has not been built. */
export function requireBuild(): void {
  if (!existsSync(CAUDEX_BIN)) throw new Error(`${CAUDEX_BIN} is missing: run \`npm run build\` first`);
}

/** A file of the repository as text. */
export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** One YAML document, with `<<` merge keys resolved (Compose uses them). */
export function readYaml<T = unknown>(path: string): T {
  return parse(readRepoFile(path), { merge: true }) as T;
}

/** Every document of a multi-document YAML file. */
export function readYamlDocuments<T = unknown>(path: string): T[] {
  return parseAllDocuments(readRepoFile(path)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as T;
  });
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600 };

/** Seconds of a duration as Compose, systemd or caudex write it: "75s", "1m15s", "60", "1min". */
export function durationSeconds(text: string | number): number {
  if (typeof text === "number") return text;
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("").replace(/\s/g, "") !== text.replace(/\s/g, "")) {
    throw new Error(`not a duration: ${text}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_SECONDS[p[2] ?? "s"] ?? 1), 0);
}

/** The value of `--grace-period` in an argument list, in seconds (caudex's default is 30 s). */
export function gracePeriodSeconds(args: readonly string[]): number {
  const i = args.indexOf("--grace-period");
  if (i < 0) return 30;
  const value = args[i + 1];
  if (value === undefined) throw new Error("--grace-period without a value");
  return durationSeconds(value);
}

/** The outcome of a finished process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`). */
export async function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, options.timeoutMs ?? 15_000);
}

/** Collects a child's output until it exits; kills it after `timeoutMs`. */
export async function collect(child: ChildProcess, timeoutMs: number): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode) => resolve(exitCode));
  }).finally(() => clearTimeout(timer));
  return { code, stdout, stderr };
}

/** A child environment without the developer's Caudex settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(CAUDEX_|RQ_)/.test(name) || ["REDIS_URL", "INTERNAL_SERVICE_TOKEN", "PORT", "HOST"].includes(name)) delete env[name];
  }
  return { ...env, ...extra };
}
