// Starts a local Redis Cluster for tests: three masters (no replicas) on free loopback ports,
// joined with `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
import { spawnSync } from "node:child_process";
import { RedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/** A running three-master cluster owned by a test. */
export class RedisCluster {
  private constructor(readonly servers: RedisServer[]) {}

  /** Seed nodes for a cluster client. */
  get nodes(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => ({ host: "127.0.0.1", port: s.port }));
  }

  static async start(): Promise<RedisCluster> {
    const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"];
    const servers = await Promise.all([0, 1, 2].map(() => RedisServer.start({ args })));
    const cluster = new RedisCluster(servers);
    const created = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "0", "--cluster-yes"],
      { encoding: "utf8" },
    );
    if (created.status !== 0) {
      await cluster.stop();
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    }
    await waitFor(() => servers.every((s) => cliOutput(s.port, ["cluster", "info"]).includes("cluster_state:ok")), {
      timeoutMs: 20_000,
      what: "cluster_state:ok on every node",
    });
    return cluster;
  }

  async stop(): Promise<void> {
    for (const server of this.servers) await server.stop();
  }
}

function cliOutput(port: number, args: string[]): string {
  return spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" }).stdout;
}
