// MIGRATING_FROM_RQ.md: the RQ variable names it maps are the aliases the CLI really accepts,
// the `caudex worker` and `caudex enqueue` flags it names exist, and the statuses are Caudex's own.
import { describe, expect, it } from "vitest";
import { DEPENDENCY_FAILURE_POLICIES } from "../../src/core/job.js";
import { JOB_STATUSES } from "../../src/core/job-states.js";
import { SETTINGS } from "../../src/cli/settings.js";
import { cleanEnv, CAUDEX_BIN, readRepoFile, requireBuild, run } from "./deploy-files.js";

const guide = readRepoFile("MIGRATING_FROM_RQ.md");

/** The body of the section whose heading starts with `title`. */
function section(title: string): string {
  const start = guide.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = guide.indexOf("\n## ", start + 3);
  return guide.slice(start, end < 0 ? undefined : end);
}

/** Rows of the markdown tables of `text`, as cells. */
function rows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[-| ]+\|$/.test(line))
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

describe("MIGRATING_FROM_RQ.md", () => {
  it("maps each RQ variable to the Caudex variable that accepts it as an alias", () => {
    const aliases = Object.values(SETTINGS).flatMap((s) => s.env.slice(1).map((alias) => [alias, s.env[0]] as const));
    expect(aliases.length).toBeGreaterThanOrEqual(4);
    const table = rows(section("Environment variables"));
    for (const [alias, name] of aliases) {
      const row = table.find((cells) => cells[0] === `\`${alias}\``);
      expect(row?.[1], alias).toContain(`\`${name}\``);
    }
  });

  it("names only flags that caudex worker (or, for producer settings, caudex enqueue) accepts", async () => {
    requireBuild();
    const [worker, enqueue] = await Promise.all(["worker", "enqueue"].map((name) => run(process.execPath, [CAUDEX_BIN, name, "--help"], { env: cleanEnv() })));
    expect(worker?.code).toBe(0);
    const help = { stdout: `${worker?.stdout ?? ""}${enqueue?.stdout ?? ""}` };
    const flags = rows(section("`rq worker` flags")).flatMap((cells) => [...(cells[1] ?? "").matchAll(/(--[a-z-]+)/g)].map((m) => m[1] as string));
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of new Set(flags)) expect(help.stdout, flag).toContain(`${flag} `);
    // Short flags in the Caudex column (`-n worker-1`) are the worker's, as its --help lists them.
    const shorts = rows(section("`rq worker` flags")).flatMap((cells) => [...(cells[1] ?? "").matchAll(/`(-[a-z])[ `]/g)].map((m) => m[1] as string));
    expect(shorts).toEqual(expect.arrayContaining(["-n", "-q", "-c", "-b"]));
    for (const short of new Set(shorts)) expect(worker?.stdout, short).toContain(`${short}, --`);
  });

  it("maps RQ's depends_on to caudex enqueue flags and dependency policies that exist", async () => {
    requireBuild();
    const dependencies = section("Dependencies");
    const enqueue = await run(process.execPath, [CAUDEX_BIN, "enqueue", "--help"], { env: cleanEnv() });
    const flags = new Set([...dependencies.matchAll(/(--[a-z][a-z-]*)/g)].map((m) => m[1] as string));
    expect([...flags]).toEqual(expect.arrayContaining(["--depends-on", "--on-dependency-failure"]));
    for (const flag of flags) expect(enqueue.stdout, flag).toContain(`${flag} `);
    const policies = [...dependencies.matchAll(/onDependencyFailure: "([a-z]+)"/g)].map((m) => m[1] as string);
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(DEPENDENCY_FAILURE_POLICIES).toContain(policy);
  });

  it("maps RQ statuses to Caudex statuses only", () => {
    const named = rows(section("Status names")).flatMap((cells) => [...(cells[1] ?? "").matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string));
    const known = new Set<string>([...JOB_STATUSES, "TASK_ERROR", "TIMEOUT", "STALLED", "UNKNOWN_TASK", "INVALID_PAYLOAD"]);
    expect(named.filter((s) => !known.has(s))).toEqual([]);
    for (const status of JOB_STATUSES) expect(named, status).toContain(status);
  });

  it("keeps the dashboard's old port with a command that exists", async () => {
    expect(guide).toContain("caudex serve --port 9181");
    expect(guide).toContain("`caudex dashboard`");
    const [serve, dashboard] = await Promise.all(["serve", "dashboard"].map((name) => run(process.execPath, [CAUDEX_BIN, name, "--help"], { env: cleanEnv() })));
    expect(serve?.stdout).toContain("--port ");
    expect(dashboard?.code).toBe(0);
    expect(dashboard?.stdout).toContain("9181");
  });
});
