// The Dockerfile, without a Docker engine: its structure (multi-stage, non-root, slim base,
// volume, health check), the files it copies, and — the part that matters at run time — its
// exact ENTRYPOINT + CMD and HEALTHCHECK commands run against a real `caudex serve` from dist,
// with /app mapped to this checkout and the image's environment applied.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait-for.js";
import { freePort } from "../support/redis-server.js";
import { CAUDEX_BIN, cleanEnv, collect, readRepoFile, requireBuild, ROOT, run } from "./deploy-files.js";

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const space = line.indexOf(" ");
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

const all = instructions(readRepoFile("Dockerfile"));
const stages = all.reduce<Instruction[][]>((list, instruction) => {
  if (instruction.keyword === "FROM") list.push([]);
  list.at(-1)?.push(instruction);
  return list;
}, []);
const runtime = stages.at(-1) ?? [];

function last(keyword: string): string {
  const found = runtime.filter((i) => i.keyword === keyword).at(-1);
  if (found === undefined) throw new Error(`the runtime stage has no ${keyword}`);
  return found.args;
}

function execForm(text: string): string[] {
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) throw new Error(`not an exec-form list: ${text}`);
  return list;
}

/** The HEALTHCHECK's command, in exec form. */
function healthcheckCommand(): string[] {
  const text = last("HEALTHCHECK");
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(text);
  if (cmd === null) throw new Error(`HEALTHCHECK must use the exec form: ${text}`);
  return execForm(cmd[1] as string);
}

/** ENV of the runtime stage (KEY=value pairs). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of runtime.filter((x) => x.keyword === "ENV")) {
    for (const m of i.args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
  }
  return env;
}

const dir = mkdtempSync(join(tmpdir(), "caudex-image-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A command of the image, as this machine runs it: /app is the checkout, `caudex` is on PATH. */
function local(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === "/app" || arg.startsWith("/app/") ? join(ROOT, arg.slice("/app".length)) : arg));
}

/** The image's environment with its /data volume in a temp dir and the port given. */
function runtimeEnv(port: number): NodeJS.ProcessEnv {
  const bin = join(dir, "bin");
  if (!existsSync(join(bin, "caudex"))) {
    // The image links /usr/local/bin/caudex to dist/cli/main.js; a wrapper does the same here.
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "caudex"), `#!/bin/sh\nexec "${process.execPath}" "${CAUDEX_BIN}" "$@"\n`);
    chmodSync(join(bin, "caudex"), 0o755);
  }
  const image = imageEnv();
  return cleanEnv({
    ...image,
    CAUDEX_DB: join(dir, "data", "caudex.db"),
    PORT: String(port),
    // What docker-compose.yml and the Kubernetes Secret supply.
    INTERNAL_SERVICE_TOKEN: "image-test-token-0123456789",
    PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
  });
}

describe("Dockerfile", () => {
  it("builds in two stages on node:20-bookworm-slim and runs as a non-root user", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(readRepoFile("Dockerfile")).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}/);
    const user = last("USER");
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(last("VOLUME")).toContain("/data");
    expect(imageEnv().CAUDEX_DB).toMatch(/^\/data\//);
    // Only production dependencies reach the runtime stage.
    expect(stages[0]?.some((i) => i.keyword === "RUN" && i.args.includes("npm prune --omit=dev"))).toBe(true);
  });

  it("copies only files that exist and that .dockerignore lets through", () => {
    const ignored = readRepoFile(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("!"));
    for (const must of [".env", "node_modules", "data", ".git"]) expect(ignored).toContain(must);
    const sources = all
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is ignored`).toBe(false);
    }
  });

  it("puts caudex on the PATH, as the entrypoint, with serve as the default command", () => {
    expect(execForm(last("ENTRYPOINT"))).toEqual(["caudex"]);
    expect(execForm(last("CMD"))).toEqual(["serve"]);
    expect(runtime.some((i) => i.keyword === "RUN" && i.args.includes("ln -s /app/dist/cli/main.js /usr/local/bin/caudex"))).toBe(true);
    expect(healthcheckCommand()).toEqual(["node", "/app/deploy/healthcheck.mjs"]);
  });

  it("runs ENTRYPOINT + CMD as a server that passes HEALTHCHECK, which fails once it stops", async () => {
    requireBuild();
    const port = await freePort();
    const env = runtimeEnv(port);
    const [checkBin, ...checkArgs] = local(healthcheckCommand()) as [string, ...string[]];
    const check = () => run(checkBin, checkArgs, { env, cwd: ROOT, timeoutMs: 10_000 });

    const before = await check();
    expect(before.code).not.toBe(0);

    const [command, ...args] = local([...execForm(last("ENTRYPOINT")), ...execForm(last("CMD"))]) as [string, ...string[]];
    const server = spawn(command, args, { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const exited = collect(server, 30_000);
    try {
      await waitFor(async () => (await check()).code === 0, { timeoutMs: 15_000, intervalMs: 200, what: "the image's health check to pass" });
    } catch (error) {
      server.kill("SIGKILL");
      const output = await exited;
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver output:\n${output.stdout}${output.stderr}`, { cause: error });
    }
    server.kill("SIGTERM");
    const result = await exited;
    expect(result.code).toBe(0);

    const after = await check();
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain("/monitoring/health");
  });
});
