// The errors a newcomer hits, through the real `caudex` binary: usage, invalid configuration,
// Redis unreachable, a tasks module that is missing or broken, a server without a token.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-cli-errors-"));
const db = join(dir, "caudex.db");
const STACK_LINE = /^\s+at /m;

beforeAll(buildCli, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("caudex usage", () => {
  it("is built executable, as the package's bin runs by its shebang", () => {
    expect(statSync(join(import.meta.dirname, "../../dist/cli/main.js")).mode & 0o111).toBe(0o111);
  });


  it("prints help and the version with exit 0", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("caudex <command>");
    const workerHelp = await runCli(["worker", "--help"]);
    expect(workerHelp.code).toBe(0);
    expect(workerHelp.stdout).toContain("--max-jobs N");
    expect(workerHelp.stdout).toContain("CAUDEX_QUEUES, RQ_QUEUE_NAMES");
    const version = await runCli(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 2 on an unknown command, an unknown option or a missing argument", async () => {
    for (const args of [["frobnicate"], ["jobs", "--colour"], ["job"], ["jobs", "--status", "DONE"]]) {
      const result = await runCli([...args, "--db", db]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/--help/);
    }
  });
});

describe("caudex configuration errors", () => {
  it("lists every invalid setting in one message and exits 2", async () => {
    const result = await runCli(["stats"], {
      env: { CAUDEX_DB: db, CAUDEX_CONCURRENCY: "ten", RQ_QUEUE_NAMES: "high,bad queue", RQ_RESULT_TTL: "-1" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toContain('CAUDEX_CONCURRENCY must be an integer from 1 to 1000 (got "ten")');
    expect(result.stderr).toContain('RQ_QUEUE_NAMES has invalid queue names "bad queue"');
    expect(result.stderr).toContain('RQ_RESULT_TTL must be a duration such as 30s, 10m, 1h30m or 1d, or a number of seconds');
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("refuses a short token and a token with a space at start, naming both at once", async () => {
    const result = await runCli(["serve", "--db", db, "--port", "0", "--readonly-token", "a b"], { env: { CAUDEX_DB: db, INTERNAL_SERVICE_TOKEN: "a" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toContain("INTERNAL_SERVICE_TOKEN must be at least 16 characters (generate one with `openssl rand -hex 32`)");
    expect(result.stderr).toContain("--readonly-token must not contain spaces or control characters");
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("lets a flag override the environment", async () => {
    expect((await runCli(["enqueue", "quick", "--db", db])).code).toBe(0);
    const result = await runCli(["stats", "--json", "--db", db], { env: { CAUDEX_DB: "" } });
    expect(result.code).toBe(0);
  });

  it("creates no database for a command that reads or changes existing jobs", async () => {
    const typo = join(dirname(db), "typo", "caudex.db");
    for (const command of [["health"], ["stats"], ["jobs"], ["job", "job_x"]]) {
      const result = await runCli([...command, "--db", typo]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Cannot open SQLite database ${typo}: the file does not exist`);
      expect(result.stderr).not.toMatch(STACK_LINE);
    }
    expect(existsSync(dirname(typo))).toBe(false);
    // --json keeps the store's code under the command's message.
    const json = await runCli(["stats", "--json", "--db", typo]);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "STORE_UNAVAILABLE", message: expect.stringContaining("does not exist") as string } });
  });
});

describe("caudex serve cannot listen", () => {
  const env = { INTERNAL_SERVICE_TOKEN: "listen-test-token-0123456789" };

  it("says another process uses the port, or that the host is not this machine's", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = busy.address() as { port: number };
      const inUse = await runCli(["serve", "--host", "127.0.0.1", "--port", String(port), "--db", db], { env });
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toContain("Another process uses this port");
      const badHost = await runCli(["serve", "--host", "nonexistent.invalid", "--port", "0", "--db", db], { env });
      expect(badHost.code).toBe(1);
      expect(badHost.stderr).toContain("Check --host");
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

describe("caudex with Redis unreachable", () => {
  it("names the URL with the password hidden, says how to fix it, exits 1 without a stack", async () => {
    const port = await closedPort();
    const result = await runCli(["stats"], { env: { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}/0` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`redis://:***@127.0.0.1:${port}/0`);
    expect(result.stderr).not.toContain("hunter2");
    expect(result.stderr).toMatch(/REDIS_URL/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
  });

  it("prints the stack with --verbose", async () => {
    const port = await closedPort();
    const result = await runCli(["stats", "--verbose"], { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(STACK_LINE);
  });
});

describe("caudex with a bad tasks module", () => {
  it("names the path tried and the fix when the module is missing", async () => {
    const result = await runCli(["worker", "--tasks", "./no/such/tasks.js", "--db", db, "--burst"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(dir, "no/such/tasks.js"));
    expect(result.stderr).toContain("--tasks");
  });

  it("shows the module's own error when it cannot load", async () => {
    const broken = join(import.meta.dirname, "../fixtures/cli-broken-tasks.mjs");
    const result = await runCli(["worker", "--tasks", broken, "--db", db, "--burst"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(broken);
    expect(result.stderr).toContain("SMTP_HOST is not set");
  });

  it("asks for a tasks module when none is given", async () => {
    const result = await runCli(["worker", "--db", db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--tasks");
  });
});

describe.each(["serve", "dashboard"])("caudex %s", (command) => {
  it("refuses to start without a token", async () => {
    const result = await runCli([command, "--db", db, "--port", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("INTERNAL_SERVICE_TOKEN");
  });

  it("refuses --no-auth on an interface other than loopback", async () => {
    const result = await runCli([command, "--no-auth", "--host", "0.0.0.0", "--db", db, "--port", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("127.0.0.1");
  });
});
