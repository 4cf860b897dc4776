// The dashboard's built files (HTML, CSS, SVG, ES modules), read once from the assets
// directory and served from memory with strict security headers. Nothing outside the
// directory can be named, because only the files found at start are served.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The built dashboard inside the package (dist/dashboard), next to the compiled server. */
export const DASHBOARD_ROOT = fileURLToPath(new URL("../dashboard/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Headers of every dashboard page and asset. The policy allows only the package's own scripts
 * and styles (no inline code), connections to this origin, and no framing.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-cache",
};

/** One file ready to send. */
export interface DashboardAsset {
  type: string;
  body: Buffer;
}

function walk(dir: string, found: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, found);
    else found.push(path);
  }
}

/** Loads every servable file under `root`, keyed by its URL path relative to /dashboard/. */
export function loadDashboardAssets(root: string): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  if (!existsSync(root)) return assets;
  const files: string[] = [];
  walk(root, files);
  for (const path of files) {
    const type = TYPES[extname(path)];
    // Source maps and declarations are build by-products, not part of the page.
    if (type === undefined) continue;
    assets.set(relative(root, path).split(sep).join("/"), { type, body: readFileSync(path) });
  }
  return assets;
}
