// Starts private redis-server processes for tests: a free loopback port, a temp dir, optional
// AOF; can SIGKILL and restart one on the same port and dir. Never touches a shared Redis.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait-for.js";

/** Settings of a test server. */
export interface RedisServerOptions {
  /** Enables AOF with this fsync policy; no persistence at all when omitted. */
  appendfsync?: "always" | "everysec" | "no";
  /** Extra redis-server arguments, e.g. ["--cluster-enabled", "yes"]. */
  args?: string[];
  /** Extra environment variables of the server process (e.g. a locale). */
  env?: Record<string, string>;
}

/** True when redis-server is installed; under CI=true a missing server fails instead. */
export function redisServerAvailable(): boolean {
  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  if (!found && process.env.CI === "true") throw new Error("redis-server is required under CI=true but is not installed");
  return found;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Sends one inline command and resolves with the first reply line. */
export function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let data = "";
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("\r\n")) {
        socket.destroy();
        resolve(data.split("\r\n")[0] ?? "");
      }
    });
    socket.write(`${command}\r\n`);
  });
}

/** One redis-server process owned by a test. */
export class RedisServer {
  private process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts a server on a free port in a new temp dir and waits until it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), "caudex-redis-")), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Kills the server with SIGKILL (no shutdown save) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.process;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.process = null;
  }

  /** Starts the server again on the same port and dir (AOF is replayed). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Stops the server and deletes its dir. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--daemonize", "no"];
    if (this.options.appendfsync !== undefined) args.push("--appendonly", "yes", "--appendfsync", this.options.appendfsync);
    args.push(...(this.options.args ?? []));
    const child = spawn("redis-server", args, { stdio: "ignore", env: { ...process.env, ...this.options.env } });
    this.process = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        return (await rawCommand(this.port, "PING")) === "+PONG";
      },
      { timeoutMs: 20_000, what: `redis-server on port ${this.port}` },
    );
  }
}
