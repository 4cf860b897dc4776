// Starts a private PgBouncer in front of a test PostgreSQL cluster, in transaction mode by
// default: a free loopback port, its own config and log in a temp dir, no Unix socket. PgBouncer
// refuses to run as root: as root it runs as the `postgres` OS user, as the cluster does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PostgresServer } from "./postgres-server.js";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

const BINARIES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];

/** The pgbouncer binary, or null when it is not installed. */
export function pgbouncerBinary(): string | null {
  return BINARIES.find((path) => existsSync(path)) ?? null;
}

/** True when pgbouncer is installed; under CI=true a missing one fails instead. */
export function pgbouncerAvailable(): boolean {
  const found = pgbouncerBinary() !== null;
  if (!found && process.env.CI === "true") throw new Error(`pgbouncer is required under CI=true but was not found in ${BINARIES.join(", ")}`);
  return found;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** One PgBouncer owned by a test. */
export class PgBouncer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts PgBouncer on a free port in front of `server`'s `postgres` database. */
  static async start(server: PostgresServer, options: { poolMode?: "transaction" | "session"; poolSize?: number } = {}): Promise<PgBouncer> {
    const bin = pgbouncerBinary();
    if (bin === null) throw new Error("pgbouncer is not installed");
    const dir = mkdtempSync(join(tmpdir(), "caudex-pgbouncer-"));
    const port = await freePort();
    const config = [
      "[databases]",
      `postgres = host=127.0.0.1 port=${server.port} dbname=postgres user=postgres`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      `pool_mode = ${options.poolMode ?? "transaction"}`,
      `default_pool_size = ${options.poolSize ?? 20}`,
      "max_client_conn = 500",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      "",
    ].join("\n");
    writeFileSync(join(dir, "pgbouncer.ini"), config);
    writeFileSync(join(dir, "users.txt"), '"postgres" ""\n');
    if (isRoot) {
      const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
      const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
      for (const path of [dir, join(dir, "pgbouncer.ini"), join(dir, "users.txt")]) chownSync(path, uid, gid);
    }
    const [command, args] = isRoot ? ["runuser", ["-u", "postgres", "--", bin, join(dir, "pgbouncer.ini")]] : [bin, [join(dir, "pgbouncer.ini")]];
    const child = spawn(command, args, { stdio: "ignore" });
    const bouncer = new PgBouncer(port, dir, child);
    const { default: pg } = await import("pg");
    await waitFor(
      async () => {
        const client = new pg.Client({ connectionString: bouncer.url });
        try {
          await client.connect();
          await client.query("SELECT 1");
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 20_000, what: `pgbouncer on port ${port}` },
    ).catch((error: unknown) => {
      const log = existsSync(join(dir, "pgbouncer.log")) ? readFileSync(join(dir, "pgbouncer.log"), "utf8") : "";
      throw new Error(`${String(error)}\n${log}`, { cause: error });
    });
    return bouncer;
  }

  /** A URL of the `postgres` database through PgBouncer. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Stops PgBouncer and deletes its dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
