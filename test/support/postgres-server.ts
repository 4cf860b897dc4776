// Starts private PostgreSQL clusters for tests: initdb into a temp dir, a free loopback port,
// pg_ctl start/stop (and `stop -m immediate` for crash tests). Never touches a shared server.
// initdb refuses to run as root: as root, the cluster belongs to the `postgres` OS user.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/** Where PostgreSQL's server programs are looked for, newest first (CAUDEX_PG_BIN overrides). */
const BIN_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"];

/** Settings of a test cluster. */
export interface PostgresServerOptions {
  /**
   * Durability settings. Default `fast` (fsync and synchronous_commit off: tests that never crash
   * the server); `durable` keeps PostgreSQL's defaults, for tests that stop it with `-m immediate`.
   */
  durability?: "fast" | "durable";
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

/** The folder of initdb and pg_ctl, or null when none is installed. */
export function postgresBinDir(): string | null {
  const dirs = process.env.CAUDEX_PG_BIN !== undefined ? [process.env.CAUDEX_PG_BIN] : BIN_DIRS;
  return dirs.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) ?? null;
}

/** True when PostgreSQL's server programs are installed; under CI=true missing ones fail instead. */
export function postgresServerAvailable(): boolean {
  const found = postgresBinDir() !== null;
  if (!found && process.env.CI === "true") throw new Error(`PostgreSQL server programs (initdb, pg_ctl) are required under CI=true but none were found in ${BIN_DIRS.join(", ")}`);
  return found;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a PostgreSQL program, as the `postgres` OS user when this process is root. */
function run(bin: string, program: string, args: string[]): void {
  const command = isRoot ? "runuser" : join(bin, program);
  const argv = isRoot ? ["-u", "postgres", "--", join(bin, program), ...args] : args;
  const result = spawnSync(command, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
}

/** One PostgreSQL cluster owned by a test. */
export class PostgresServer {
  private running = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
    private readonly options: PostgresServerOptions,
  ) {}

  /** Creates a cluster in a new temp dir, starts it on a free port and waits until it answers. */
  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (bin === null) throw new Error("PostgreSQL server programs (initdb, pg_ctl) are not installed");
    const dir = mkdtempSync(join(tmpdir(), "caudex-pg-"));
    if (isRoot) {
      const owner = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
      const group = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
      if (owner.status !== 0) throw new Error("running as root, but there is no `postgres` OS user to own the test cluster");
      chownSync(dir, Number(owner.stdout.trim()), Number(group.stdout.trim()));
    }
    chmodSync(dir, 0o700);
    run(bin, "initdb", ["-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
    const server = new PostgresServer(await freePort(), dir, bin, options);
    await server.launch();
    return server;
  }

  /** A URL for the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Stops the server at once, as a crash would (`pg_ctl stop -m immediate`: no checkpoint). */
  async crash(): Promise<void> {
    if (!this.running) return;
    run(this.bin, "pg_ctl", ["stop", "-D", join(this.dir, "data"), "-m", "immediate", "-w"]);
    this.running = false;
  }

  /** Starts the server again on the same port and data (it replays its WAL). */
  async restart(): Promise<void> {
    await this.crash();
    await this.launch();
  }

  /** Stops the server and deletes its dir. */
  async stop(): Promise<void> {
    if (this.running) {
      try {
        run(this.bin, "pg_ctl", ["stop", "-D", join(this.dir, "data"), "-m", "fast", "-w"]);
      } catch {
        await this.crash();
      }
      this.running = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      port: String(this.port),
      // The socket in the cluster's own dir: never the system's /var/run/postgresql.
      unix_socket_directories: join(this.dir, "data"),
      max_connections: "200",
      ...(this.options.durability === "durable" ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }),
      ...this.options.settings,
    };
    const serverArgs = Object.entries(settings)
      .map(([name, value]) => `-c ${name}=${value}`)
      .join(" ");
    run(this.bin, "pg_ctl", ["start", "-D", join(this.dir, "data"), "-l", join(this.dir, "server.log"), "-o", serverArgs, "-w", "-t", "60"]);
    this.running = true;
    const { default: pg } = await import("pg");
    await waitFor(
      async () => {
        const client = new pg.Client({ connectionString: this.url });
        try {
          await client.connect();
          await client.query("SELECT 1");
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, what: `PostgreSQL on port ${this.port}` },
    );
  }
}
