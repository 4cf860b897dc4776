// Wake-ups for idle workers without polling: one subscriber connection per store listens on
// the namespace's wake channel, where scripts announce queues that went from empty to non-empty.
// Announcements that arrive between a claim and the next wait are remembered, so none is missed.
// The same connection carries each standing worker's own channel of hand-offs (`listen`).
import { duplicateConnection } from "./redis-connection.js";
import type { RedisConnection } from "./scripts.js";

/** Tells waiters that a queue may have work. */
export class WorkSignal {
  private readonly announced = new Set<string>();
  private readonly waiters = new Set<{ queues: readonly string[]; wake: () => void }>();
  private readonly listeners = new Map<string, (message: string) => void>();
  private reconnected = false;
  private quiet = false;
  private sub: RedisConnection | null = null;
  private subscribing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly main: RedisConnection,
    private readonly channel: string,
  ) {
    // A worker backing off after failed claims retries as soon as the command connection is back.
    main.on("ready", () => this.announce(null));
  }

  /** Called at each claim: announcements before it are consumed by that claim. */
  markClaim(): void {
    // (Hand-off keys, which start with NUL, belong to one worker each: its own claim consumes them.)
    for (const key of this.announced) if (key.charCodeAt(0) !== 0) this.announced.delete(key);
    this.reconnected = false;
    this.quiet = false;
  }

  /**
   * True when the last wait ran out its timeout on a live subscription with nothing announced:
   * then the queues are still empty (every empty-to-non-empty change is announced) and a
   * claim may skip its round trip.
   */
  wasQuiet(): boolean {
    return this.quiet;
  }

  /** Resolves on an announcement for one of `queues`, a reconnect, `timeoutMs`, or abort. */
  async wait(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.closed || this.pending(queues)) return;
    const deadline = Date.now() + timeoutMs;
    await this.subscribe().catch(() => undefined);
    if (signal.aborted || this.closed || this.pending(queues)) return;
    await new Promise<void>((resolve) => {
      const waiter = { queues, wake: () => done() };
      const timedOut = (): void => {
        this.quiet = this.sub?.status === "ready" && !this.pending(queues);
        done();
      };
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(timedOut, Math.max(0, deadline - Date.now()));
      signal.addEventListener("abort", done, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** True while the subscription is up: messages sent now reach this process. */
  isLive(): boolean {
    return this.sub?.status === "ready";
  }

  /** Subscribes to `channel` (resolves once subscribed) and passes its messages to `onMessage`. */
  async listen(channel: string, onMessage: (message: string) => void): Promise<void> {
    await this.subscribe();
    this.listeners.set(channel, onMessage);
    await this.sub?.subscribe(channel);
  }

  /** Stops listening to `channel`. */
  unlisten(channel: string): void {
    if (!this.listeners.delete(channel)) return;
    this.sub?.unsubscribe(channel).catch(() => undefined);
  }

  /** Forgets an announcement of `key` (its news was taken another way). */
  consume(key: string): void {
    this.announced.delete(key);
  }

  /** Wakes the waiters on `key` (a queue name, or a name of the caller's own). */
  notify(key: string): void {
    this.announce(key);
  }

  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.wake();
    this.sub?.disconnect();
  }

  private pending(queues: readonly string[]): boolean {
    return this.reconnected || queues.some((q) => this.announced.has(q));
  }

  private subscribe(): Promise<void> {
    this.subscribing ??= (async () => {
      const sub = duplicateConnection(this.main);
      sub.on("error", () => undefined);
      sub.on("message", (channel: string, message: string) => {
        if (channel === this.channel) this.announce(message);
        else this.listeners.get(channel)?.(message);
      });
      // After a reconnect, work may have arrived while the subscription was down.
      sub.on("ready", () => this.announce(null));
      try {
        await sub.connect();
        await sub.subscribe(this.channel);
        this.sub = sub;
      } catch (error) {
        sub.disconnect();
        this.subscribing = null;
        throw error;
      }
    })();
    return this.subscribing;
  }

  private announce(queue: string | null): void {
    if (queue === null) this.reconnected = true;
    else this.announced.add(queue);
    // An announcement means the queues are not all empty any more, whoever waited last.
    this.quiet = false;
    for (const waiter of [...this.waiters]) {
      if (queue === null || waiter.queues.includes(queue)) waiter.wake();
    }
  }
}
