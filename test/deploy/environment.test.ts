// Every environment variable the code reads is documented in DEPLOYMENT_GUIDE.md and
// docs/configuration.md, every documented one is read, and the deployment files set only
// variables that something reads.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/cli/settings.js";
import { readRepoFile, readYaml, readYamlDocuments, ROOT } from "./deploy-files.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Variables read directly (`process.env.X`, `process.env["X"]`, `env.X`) in the shipped code. */
function directReads(): Map<string, string> {
  const reads = new Map<string, string>();
  for (const file of [...sourceFiles(join(ROOT, "src")), join(ROOT, "deploy/healthcheck.mjs")]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\])/g)) {
      reads.set((m[1] ?? m[2]) as string, relative(ROOT, file));
    }
  }
  return reads;
}

/** Everything Caudex reads: the CLI's settings table plus direct reads. */
const READ = new Set([...Object.values(SETTINGS).flatMap((s) => s.env), ...directReads().keys()]);

/** Variable names in the first two columns of the markdown tables of `text`. */
function tableVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").slice(1, 3);
    if (!line.startsWith("|") || cells.length < 2) continue;
    for (const cell of cells) for (const m of cell.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)) names.add(m[1] as string);
  }
  return names;
}

const guide = readRepoFile("DEPLOYMENT_GUIDE.md");

describe("environment variables", () => {
  it("finds the settings table of the CLI", () => {
    expect(READ).toContain("INTERNAL_SERVICE_TOKEN");
    expect(READ).toContain("RQ_WORKER_NAME");
    expect(READ.size).toBeGreaterThanOrEqual(15);
  });

  it("documents every variable the code reads in DEPLOYMENT_GUIDE.md, and reads every one documented", () => {
    const documented = tableVariables(guide);
    expect([...READ].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !READ.has(name)).sort()).toEqual([]);
  });

  it("agrees with docs/configuration.md, which the guide links", () => {
    expect(guide).toContain("(docs/configuration.md)");
    expect(existsSync(join(ROOT, "docs/configuration.md"))).toBe(true);
    const documented = tableVariables(readRepoFile("docs/configuration.md"));
    expect([...READ].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !READ.has(name)).sort()).toEqual([]);
  });

  it("sets only variables Caudex reads in the containers, pods and units", () => {
    interface Service {
      environment?: Record<string, unknown>;
    }
    const compose = readYaml<{ services: Record<string, Service> }>("docker-compose.yml");
    const set = new Map<string, string>();
    for (const name of ["api", "worker"]) {
      for (const key of Object.keys(compose.services[name]?.environment ?? {})) set.set(key, `docker-compose.yml ${name}`);
    }
    for (const file of ["api-deployment.yaml", "worker-deployment.yaml"]) {
      type Pod = { spec?: { template?: { spec: { containers: Array<{ env?: Array<{ name: string }> }> } } } };
      for (const doc of readYamlDocuments<Pod>(`deploy/kubernetes/${file}`)) {
        for (const c of doc.spec?.template?.spec.containers ?? []) for (const e of c.env ?? []) set.set(e.name, file);
      }
    }
    for (const m of readRepoFile("deploy/systemd/caudex.env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)) set.set(m[1] as string, "caudex.env.example");
    for (const m of readRepoFile("deploy/kubernetes/secret.example.yaml").matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)) set.set(m[1] as string, "secret.example.yaml");
    for (const m of readRepoFile("Dockerfile").matchAll(/\b([A-Z][A-Z0-9_]+)=/g)) if (m[1] !== "NODE_ENV" && m[1] !== "NODE_IMAGE") set.set(m[1] as string, "Dockerfile");
    expect([...set].filter(([name]) => !READ.has(name)).map(([name, where]) => `${name} (${where})`)).toEqual([]);
  });

  it("keeps in .env.example only variables Caudex reads or docker-compose.yml interpolates", () => {
    const interpolated = new Set([...readRepoFile("docker-compose.yml").matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const keys = [...readRepoFile(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] as string);
    expect(keys.filter((k) => !READ.has(k) && !interpolated.has(k))).toEqual([]);
  });
});
