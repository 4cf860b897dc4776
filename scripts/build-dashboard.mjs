// Builds the dashboard into dist/dashboard (or the directory given as the first argument):
// TypeScript compiled to browser ES modules with the project's own compiler, plus the page,
// stylesheet and icon. No bundler and no network: everything the page loads ships in dist.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const out = resolve(process.argv[2] ?? "dist/dashboard");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tsc = join("node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.dashboard.json", "--outDir", out], { stdio: "inherit" });
for (const name of readdirSync("src/dashboard")) {
  if (/\.(html|css|svg)$/.test(name)) cpSync(join("src/dashboard", name), join(out, name));
}
