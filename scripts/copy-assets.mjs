// Copies the non-TypeScript files the build needs (SQL migrations, Lua scripts, dashboard
// assets) from src/ to dist/, keeping their relative paths.
import { cpSync, existsSync, readdirSync, statSync } from "node:fs";
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
