// Builds the CommonJS copy of the library (decision 0018): every compiled module of dist/
// except the CLI and the dashboard, transformed one file at a time into dist/cjs/, with the
// declarations beside them, so that `require("caudex")` works on Node 20. `import.meta.url`
// becomes the URL of the ES module twin, so SQL migrations, Lua scripts and the child-process
// runner are found where the ES build keeps them; dynamic imports become require().
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { transformSync } from "esbuild";

const ESM = "dist";
const CJS = join(ESM, "cjs");
// Only what the library entries reach: the CLI (a bin), the HTTP server (loaded by the CLI), the
// dashboard (browser code) and the example tasks stay ES modules only.
const SKIP = new Set(["cli", "dashboard", "server", "examples", "cjs"].map((name) => join(ESM, name)));

rmSync(CJS, { recursive: true, force: true });

function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (SKIP.has(path)) continue;
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path);
  }
}

let modules = 0;
walk(ESM, (path) => {
  const rel = relative(ESM, path);
  const target = join(CJS, rel);
  if (path.endsWith(".d.ts")) {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(path, target);
    return;
  }
  if (!path.endsWith(".js")) return;
  // From dist/cjs/a/b.js back to dist/a/b.js, as a path relative to the CommonJS file's folder.
  const twin = relative(dirname(target), path).split(sep).join("/");
  const banner = `var __caudexModuleUrl = require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(twin)})).href;`;
  const { code } = transformSync(readFileSync(path, "utf8"), {
    format: "cjs",
    platform: "node",
    target: "node20",
    sourcefile: rel,
    banner,
    define: { "import.meta.url": "__caudexModuleUrl" },
    // import() of a relative module must load this CommonJS copy, not the ES one (one set of classes).
    supported: { "dynamic-import": false },
    logLevel: "error",
  });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
  modules += 1;
});
writeFileSync(join(CJS, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
console.log(`CommonJS build: ${modules} modules in ${CJS}`);
