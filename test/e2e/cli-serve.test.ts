// `caudex serve` as a real process: it runs maintenance, so with no worker at all a scheduled
// job is promoted when due and a finished job past its retention is pruned; a stalled client
// does not keep it from stopping.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/client.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { buildCli, startCli, type CliProcess } from "../support/cli.js";
import { waitFor } from "../support/wait-for.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-cli-serve-"));
const running: CliProcess[] = [];
beforeAll(buildCli, 120_000);
afterAll(() => {
  for (const child of running) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("caudex serve", () => {
  it("promotes due jobs and prunes expired ones with no worker running", async () => {
    const db = join(dir, "serve.db");
    const client = new Client({ store: new SqliteStore({ path: db }) });
    const scheduled = await client.enqueue("later", {}, { delayMs: 500 });
    const canceled = await client.enqueue("unwanted", {}, { failureTtlSeconds: 0 });
    await client.cancel(canceled.id);
    expect(scheduled.status).toBe("SCHEDULED");
    const server = startCli(["serve", "--db", db, "--no-auth", "--host", "127.0.0.1", "--port", "0"]);
    running.push(server);
    await server.waitForOutput(/serving the API/);
    await waitFor(async () => (await client.getJob(scheduled.id))?.status === "QUEUED", { timeoutMs: 10_000, what: "promotion by the server" });
    await waitFor(async () => (await client.getJob(canceled.id)) === null, { timeoutMs: 10_000, what: "pruning by the server" });
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await client.close();
  }, 60_000);

  it("exits soon after SIGTERM while a client is stalled mid-request", async () => {
    const server = startCli(["serve", "--db", join(dir, "stalled.db"), "--no-auth", "--host", "127.0.0.1", "--port", "0"]);
    running.push(server);
    const [, port] = await server.waitForOutput(/serving the API on http:\/\/[^:]+:(\d+)/);
    const socket = connect({ port: Number(port), host: "127.0.0.1" });
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    // Headers and the start of a body that never comes: the request stays in flight.
    socket.write("POST /jobs HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{");
    server.process.kill("SIGTERM");
    const outcome = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000).unref())]);
    socket.destroy();
    expect(outcome).toBe(0);
  }, 60_000);
});
