// Wake-ups for the SQLite store: in-process signals after local commits; for commits by other
// processes, `PRAGMA data_version` (which changes when another connection commits), read when
// the database's folder reports a write to the database or its WAL file (inotify on Linux), and
// on a short poll in case such reports do not come (a network file system, a platform without
// them, a watch refused). Both run only while someone waits for work or watches events.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

// After a reported write, when data_version is read again (see watchFolder).
const RECHECK_DELAYS_MS = [1, 2, 4, 8, 16, 32];

/** Fans wake-ups out to waiters and event watchers. */
export class SqliteNotifier {
  private readonly waiters = new Set<() => void>();
  private readonly watchers = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private folderWatch: FSWatcher | null = null;
  private recheckTimer: NodeJS.Timeout | null = null;
  private rechecks = 0;
  private lastVersion = -1;

  /** `databasePath` is the database file whose writes to watch; null (an in-memory database) polls only. */
  constructor(
    private readonly readVersion: () => number,
    private readonly pollIntervalMs: number,
    private readonly databasePath: string | null = null,
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
      this.watchFolder();
    } else if (!needed && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.folderWatch?.close();
      this.folderWatch = null;
      if (this.recheckTimer !== null) clearTimeout(this.recheckTimer);
      this.recheckTimer = null;
    }
  }

  /**
   * Reads data_version soon after the database or its WAL file is written to. The folder is
   * watched, not the files: the WAL file comes and goes with the connections. The write reported
   * is the commit's WAL frames; the commit becomes visible only after the writer's fsync, when it
   * updates the WAL index (shared memory, which reports nothing), so one read at once would
   * mostly come too early: data_version is read again after 1, 2, 4 ... 32 ms until it changes,
   * and a burst of reports shares those reads.
   */
  private watchFolder(): void {
    if (this.databasePath === null || this.folderWatch !== null) return;
    const name = basename(this.databasePath);
    const names = new Set([name, `${name}-wal`]);
    try {
      this.folderWatch = watch(dirname(this.databasePath), { persistent: false }, (_event, file) => {
        if (file !== null && !names.has(file.toString())) return;
        this.rechecks = 0;
        if (this.recheckTimer === null) this.recheckSoon();
      });
      // A watch that fails later (the folder removed) leaves the poll to do the work.
      this.folderWatch.on("error", () => {
        this.folderWatch?.close();
        this.folderWatch = null;
      });
    } catch {
      this.folderWatch = null;
    }
  }

  private recheckSoon(): void {
    const delayMs = RECHECK_DELAYS_MS[this.rechecks];
    if (delayMs === undefined) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = null;
      // Nobody waits or watches any more: nothing to read.
      if (this.timer === null) return;
      const before = this.lastVersion;
      this.poll();
      if (this.lastVersion !== before) return;
      this.rechecks += 1;
      this.recheckSoon();
    }, delayMs);
    this.recheckTimer.unref();
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
