// Copies the non-TypeScript files the build needs (SQL migrations, Lua scripts, dashboard
// assets) from src/ to dist/, keeping their relative paths, and makes the CLI executable.
import { chmodSync, cpSync, existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ASSET = /\.(sql|lua|html|css|svg|js)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name) && !name.endsWith(".test.js")) cpSync(path, join("dist", relative("src", path)));
  }
}
if (existsSync("src")) walk("src");
// The `caudex` bin runs by its shebang: a fresh build must be executable even where npm linked
// the bin (and set the mode) before the file was rebuilt.
if (existsSync("dist/cli/main.js")) chmodSync("dist/cli/main.js", 0o755);
