// A TCP proxy in front of a test redis-server for fault tests: it forwards every connection as
// it is, and can drop what the server sends to subscriber connections while they stay open, as
// a subscription whose link died without either side noticing yet would, or hold it back and
// deliver it late, as a partition that heals does. Nothing is parsed
// beyond spotting a SUBSCRIBE in what a client sends.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** A proxy on a free loopback port that forwards to one Redis server. */
export class RedisProxy {
  private readonly sockets = new Set<Socket>();
  private dropping = false;
  /** What subscriber connections were sent while held, to deliver when released; null when not holding. */
  private held: Array<() => void> | null = null;

  private constructor(
    private readonly server: Server,
    /** The URL to connect to instead of the server's. */
    readonly url: string,
  ) {}

  /** Starts a proxy to the server at `targetUrl` (redis://host:port). */
  static async start(targetUrl: string): Promise<RedisProxy> {
    const target = new URL(targetUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new RedisProxy(server, `redis://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on("connection", (client) => proxy.forward(client, target.hostname, Number(target.port)));
    return proxy;
  }

  /** From now on, subscriber connections stay open but receive nothing (no message, no reply). */
  dropSubscriberTraffic(): void {
    this.dropping = true;
  }

  /** From now on, what the server sends to subscriber connections is held back until `releaseSubscriberTraffic`. */
  holdSubscriberTraffic(): void {
    this.held ??= [];
  }

  /** Delivers what was held back, in order, and stops holding. */
  releaseSubscriberTraffic(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const deliver of held) deliver();
  }

  /** Closes every forwarded connection and the proxy. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, host: string, port: number): void {
    const upstream = createConnection({ host, port });
    let subscriber = false;
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      // Commands are RESP arrays of bulk strings: the name stands alone on its line.
      if (/\r\n(?:p|s)?subscribe\r\n/i.test(chunk.toString("latin1"))) subscriber = true;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (subscriber && this.dropping) return;
      if (subscriber && this.held !== null) this.held.push(() => client.write(chunk));
      else client.write(chunk);
    });
  }
}
