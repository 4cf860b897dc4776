// Packs the package as `npm publish` would and installs the tarball into a fresh project,
// offline: the project's lockfile is made from this repository's (its production entries, plus
// @types/node), so npm takes every dependency from the local npm cache that `npm ci` filled.
// Install scripts are skipped and better-sqlite3's native build is copied from this checkout:
// compiling SQLite again would take a minute and needs nothing of the package under test.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, "../..");

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** What `npm pack --json` reports of the tarball. */
export interface PackedPackage {
  tarball: string;
  files: string[];
  size: number;
  unpackedSize: number;
}

/** Packs the built package (dist/ must be current) into `dir`, without running its build again. */
export async function packPackage(dir: string): Promise<PackedPackage> {
  if (!existsSync(join(REPO, "dist/cjs/index.js"))) throw new Error("dist/ is not built: run `npm run build` first");
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }>; size: number; unpackedSize: number }>;
  if (packed === undefined) throw new Error("npm pack reported no package");
  return { tarball: join(dir, packed.filename), files: packed.files.map((f) => f.path), size: packed.size, unpackedSize: packed.unpackedSize };
}

/** A new project (type module) in a temporary folder, with `tarball` installed offline; returns its folder. */
export async function installTarball(tarball: string): Promise<string> {
  const app = mkdtempSync(join(tmpdir(), "caudex-consumer-"));
  const own = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const spec = `file:${tarball}`;
  const types = { "@types/node": lock.packages["node_modules/@types/node"]?.version ?? "*" };
  const manifest = { name: "caudex-consumer", version: "1.0.0", private: true, type: "module", dependencies: { caudex: spec }, devDependencies: types };
  const packages: Record<string, LockEntry> = {
    "": { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: types },
    "node_modules/caudex": { version: own.version, resolved: spec, dependencies: own.dependencies },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || !path.startsWith("node_modules/")) continue;
    const forTypes = path === "node_modules/@types/node" || path === "node_modules/undici-types";
    if (entry.dev === true && !forTypes) continue;
    packages[path] = forTypes ? { ...entry, dev: true } : entry;
  }
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2));
  await run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
  const build = "node_modules/better-sqlite3/build/Release";
  mkdirSync(join(app, build), { recursive: true });
  cpSync(join(REPO, build, "better_sqlite3.node"), join(app, build, "better_sqlite3.node"));
  return app;
}

/** Runs `node file` (or another command) in the project; resolves with its output or rejects with it. */
export async function runIn(app: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: app, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "" } });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${failed.message}\n${failed.stdout ?? ""}${failed.stderr ?? ""}`, { cause: error });
  }
}
