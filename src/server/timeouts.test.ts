// Request, headers and shutdown timeouts on real sockets: stalled clients are cut off, close()
// does not wait for them, and a long-lived event stream is not mistaken for a stalled request.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FULL_TOKEN, createTestServer, type TestServer } from "../../test/support/server.js";
import { waitFor } from "../../test/support/wait-for.js";
import type { AppDeps } from "./app.js";

const TRICKLE_INTERVAL_MS = 300;
const SMALL_TIMEOUTS: Partial<AppDeps> = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  timeoutCheckIntervalMs: 100,
};

/** A raw TCP client that records what it receives and whether the server hung up. */
class RawClient {
  received = "";
  closed = false;
  sentBytes = 0;
  private trickler: NodeJS.Timeout | undefined;
  private readonly socket: Socket;
  readonly connected: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ port, host: "127.0.0.1" });
    this.socket.setEncoding("utf8");
    this.socket.on("data", (chunk: string) => (this.received += chunk));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => {
      this.closed = true;
      clearInterval(this.trickler);
    });
    this.connected = new Promise((resolve) => this.socket.once("connect", () => resolve()));
  }

  send(text: string): void {
    this.socket.write(text);
    this.sentBytes += Buffer.byteLength(text);
  }

  /** Sends `text` one byte per TRICKLE_INTERVAL_MS until it is sent or the socket closes. */
  trickle(text: string): void {
    let next = 0;
    this.trickler = setInterval(() => {
      if (next >= text.length) return clearInterval(this.trickler);
      this.send(text.charAt(next));
      next += 1;
    }, TRICKLE_INTERVAL_MS);
  }

  destroy(): void {
    clearInterval(this.trickler);
    this.socket.destroy();
  }
}

function portOf(server: TestServer): number {
  const address = server.app.server.address();
  if (address === null || typeof address === "string") throw new Error("server is not listening on a port");
  return address.port;
}

describe("HTTP timeouts", () => {
  let server: TestServer | undefined;
  const clients: RawClient[] = [];

  async function start(deps: Partial<AppDeps>): Promise<number> {
    server = await createTestServer({ deps });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    return portOf(server);
  }

  async function open(port: number): Promise<RawClient> {
    const client = new RawClient(port);
    clients.push(client);
    await client.connected;
    return client;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server?.close();
    server = undefined;
  });

  it("disconnects a client that trickles its headers once the headers timeout passes", async () => {
    const client = await open(await start(SMALL_TIMEOUTS));
    const request = `GET /monitoring/health HTTP/1.1\r\nhost: localhost\r\nx-padding: ${"a".repeat(64)}\r\n\r\n`;
    client.trickle(request);
    await waitFor(() => client.closed, { timeoutMs: 10_000, what: "the server to hang up" });
    expect(client.sentBytes).toBeLessThan(request.length);
    expect(client.received).not.toContain("200 OK");
  });

  it("disconnects a client that trickles its body once the request timeout passes", async () => {
    const client = await open(await start(SMALL_TIMEOUTS));
    const body = JSON.stringify({ task: "echo", payload: { value: "x".repeat(200) } });
    client.send(
      `POST /jobs HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${FULL_TOKEN}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    client.trickle(body);
    await waitFor(() => client.closed, { timeoutMs: 10_000, what: "the server to hang up" });
    expect(client.received).not.toContain("201");
  });

  it("closes promptly while a client is stalled mid-request", async () => {
    // Default (long) request timeouts: only the close grace can end this connection in time.
    const client = await open(await start({ closeGraceMs: 200 }));
    client.send(
      `POST /jobs HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${FULL_TOKEN}\r\n` +
        `content-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
    );
    const headerBytes = client.sentBytes;
    client.trickle("x".repeat(999));
    await waitFor(() => client.sentBytes > headerBytes + 1, { what: "the body to start trickling" });
    const closing = server?.app.close();
    const outcome = await Promise.race([
      closing?.then(() => "closed"),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 5_000).unref()),
    ]);
    expect(outcome).toBe("closed");
    await waitFor(() => client.closed, { what: "the stalled client to be cut off" });
  });

  it("keeps an event stream open past the request timeout", async () => {
    // The keep-alive comment comes well after both timeouts (and many timeout checks) passed.
    const client = await open(await start({ ...SMALL_TIMEOUTS, sseKeepAliveMs: 3 * SMALL_TIMEOUTS.requestTimeoutMs! }));
    client.send(`GET /events HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${FULL_TOKEN}\r\n\r\n`);
    await waitFor(() => client.received.includes(": connected"), { what: "the stream to open" });
    await waitFor(() => client.received.includes("\n: keep-alive\n\n") || client.closed, { timeoutMs: 15_000, what: "a keep-alive comment" });
    expect(client.closed).toBe(false);
    expect(client.received).toContain("200 OK");
  });
});
