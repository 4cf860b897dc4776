// Wake-ups for the SQLite store: in-process signals after local commits, plus a short poll of
// `PRAGMA data_version` (which changes when another connection commits) for other processes.
// The poll runs only while someone waits for work or watches events.

/** Fans wake-ups out to waiters and event watchers. */
export class SqliteNotifier {
  private readonly waiters = new Set<() => void>();
  private readonly watchers = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastVersion = -1;

  constructor(
    private readonly readVersion: () => number,
    private readonly pollIntervalMs: number,
  ) {}

  /** A local transaction committed: new work may exist and new events were written. */
  changed(): void {
    for (const wake of [...this.waiters]) wake();
    if (this.watchers.size > 0) setImmediate(() => this.notifyWatchers());
  }

  /** Resolves on the next change, after `timeoutMs`, or on abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(done);
        this.updatePolling();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done, { once: true });
      this.waiters.add(done);
      this.updatePolling();
    });
  }

  /** Calls `onChange` after every change until the returned function is called. */
  watch(onChange: () => void): () => void {
    this.watchers.add(onChange);
    this.updatePolling();
    return () => {
      this.watchers.delete(onChange);
      this.updatePolling();
    };
  }

  close(): void {
    for (const wake of [...this.waiters]) wake();
    this.watchers.clear();
    this.updatePolling();
  }

  private notifyWatchers(): void {
    for (const watcher of [...this.watchers]) watcher();
  }

  private updatePolling(): void {
    const needed = this.waiters.size > 0 || this.watchers.size > 0;
    if (needed && this.timer === null) {
      this.lastVersion = this.readVersion();
      this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
      this.timer.unref();
    } else if (!needed && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private poll(): void {
    let version: number;
    try {
      version = this.readVersion();
    } catch {
      return;
    }
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    for (const wake of [...this.waiters]) wake();
    this.notifyWatchers();
  }
}
