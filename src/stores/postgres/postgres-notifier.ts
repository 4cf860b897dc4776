// Wake-ups for the PostgreSQL store: one LISTEN connection per store (opened when someone first
// waits for work or watches events, reconnected after it drops) receives the NOTIFY that every
// transaction which made work claimable sends on commit; local commits wake local waiters at once.
// Without a LISTEN connection (none wanted, behind PgBouncer in transaction mode, or while it
// reconnects) waiters poll: each wait lasts at most `pollIntervalMs`. Event watchers also poll,
// since settlements send no NOTIFY (it would serialize their commits on the notification queue).
import type pg from "pg";

/** Opens the LISTEN connection (connected, not yet listening). */
export type ListenerFactory = () => Promise<pg.Client>;

// After the LISTEN connection drops, how long before the next try.
const RECONNECT_DELAY_MS = 1000;

interface Waiter {
  queues: ReadonlySet<string>;
  wake: () => void;
}

/** Fans wake-ups out to waiters and event watchers. */
export class PostgresNotifier {
  private readonly waiters = new Set<Waiter>();
  private readonly watchers = new Set<() => void>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The last reason the LISTEN connection could not be had, for health. */
  lastError: string | null = null;

  constructor(
    private readonly channel: string,
    private readonly open: ListenerFactory | null,
    private readonly pollIntervalMs: number,
  ) {}

  /** Whether a LISTEN connection is up now. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** A local transaction committed that made work claimable on these queues ("*": any). */
  changed(queues: Iterable<string>): void {
    const set = new Set(queues);
    if (set.size === 0) return;
    this.wakeWaiters(set);
    if (this.watchers.size > 0) setImmediate(() => this.notifyWatchers());
  }

  /** Resolves when work may be there on `queues`, after `timeoutMs` (at most the poll interval while not listening), or on abort. */
  async wait(queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.closed) return;
    const started = Date.now();
    await this.listen(timeoutMs);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0 || signal.aborted) return;
    const limit = this.client === null ? Math.min(left, this.pollIntervalMs) : left;
    await new Promise<void>((resolve) => {
      const waiter: Waiter = { queues: new Set(queues), wake: () => done() };
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(done, limit);
      signal.addEventListener("abort", done, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Calls `onChange` after every wake-up and every poll interval until the returned function is called. */
  watch(onChange: () => void): () => void {
    this.watchers.add(onChange);
    void this.listen(0);
    if (this.watchTimer === null) {
      this.watchTimer = setInterval(() => this.notifyWatchers(), Math.min(this.pollIntervalMs, 250));
      this.watchTimer.unref();
    }
    return () => {
      this.watchers.delete(onChange);
      if (this.watchers.size === 0 && this.watchTimer !== null) {
        clearInterval(this.watchTimer);
        this.watchTimer = null;
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.wake();
    this.watchers.clear();
    if (this.watchTimer !== null) clearInterval(this.watchTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.watchTimer = null;
    this.reconnectTimer = null;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** Makes sure a LISTEN connection is up or on its way; waits for it at most `waitMs`. */
  private async listen(waitMs: number): Promise<void> {
    if (this.open === null || this.closed || this.client !== null) return;
    if (this.connecting === null && this.reconnectTimer === null) this.connecting = this.connect();
    if (this.connecting === null || waitMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connecting.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private async connect(): Promise<void> {
    const open = this.open as ListenerFactory;
    let client: pg.Client | null = null;
    try {
      client = await open();
      client.on("notification", (message) => {
        if (message.channel !== this.channel) return;
        const queue = message.payload ?? "*";
        this.wakeWaiters(new Set([queue]));
        this.notifyWatchers();
      });
      client.on("error", () => this.dropped(client));
      client.on("end", () => this.dropped(client));
      await client.query(`LISTEN "${this.channel}"`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.lastError = null;
      // Commits made while no connection listened sent notifications nobody heard: look again.
      this.wakeWaiters(new Set(["*"]));
      this.notifyWatchers();
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      await client?.end().catch(() => undefined);
      this.scheduleReconnect();
    } finally {
      this.connecting = null;
    }
  }

  private dropped(client: pg.Client | null): void {
    if (client === null || this.client !== client) return;
    this.client = null;
    this.lastError = "the LISTEN connection was lost";
    client.end().catch(() => undefined);
    // Waiters that counted on a notification fall back to polling now.
    this.wakeWaiters(new Set(["*"]));
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed && this.client === null && this.connecting === null) this.connecting = this.connect();
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  private wakeWaiters(queues: ReadonlySet<string>): void {
    for (const waiter of [...this.waiters]) {
      if (queues.has("*") || [...queues].some((q) => waiter.queues.has(q))) waiter.wake();
    }
  }

  private notifyWatchers(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}
