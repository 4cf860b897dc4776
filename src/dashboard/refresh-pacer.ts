// When the page refreshes its view: one refresh at a time; asks driven by live events or the
// slow timer are paced to one per EVENT_REFRESH_INTERVAL_MS however many events arrive, and asks
// of the reader (navigation, paging, an action, a reconnect) run at once.

/** A short wait first, so that a burst of events is one refresh. */
export const EVENT_REFRESH_DELAY_MS = 150;
/**
 * At most one paced refresh this often, counted from the start of the one before: every refresh
 * of the overview reads the store's stats, workers and throughput, so one open tab on a busy
 * system costs about one such read per second instead of one after every event.
 */
export const EVENT_REFRESH_INTERVAL_MS = 1000;

/** The timers the pacer uses (the page's own, or a test's). */
export interface PacerTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Runs a view's refresh at the pace described above. */
export class RefreshPacer {
  private timer: unknown = null;
  private dueAt = Infinity;
  private running = false;
  // An ask that came while a refresh ran: null for none, else whether it was urgent.
  private queued: boolean | null = null;
  private lastStart = -Infinity;
  private stopped = false;

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly timers: PacerTimers,
    private readonly intervalMs: number = EVENT_REFRESH_INTERVAL_MS,
    private readonly delayMs: number = EVENT_REFRESH_DELAY_MS,
  ) {}

  /** A refresh for a live event or the timer: soon, and no sooner than the interval allows. */
  paced(): void {
    this.ask(false);
  }

  /** A refresh the reader asked for: at once, or right after the one running. */
  urgent(): void {
    this.ask(true);
  }

  /** Cancels what is planned; a running refresh finishes and nothing follows it. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private ask(urgent: boolean): void {
    if (this.stopped) return;
    if (this.running) {
      this.queued = this.queued === true || urgent;
      return;
    }
    const now = this.timers.now();
    const due = urgent ? now : Math.max(now + this.delayMs, this.lastStart + this.intervalMs);
    if (due >= this.dueAt) return;
    this.cancelTimer();
    this.dueAt = due;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.dueAt = Infinity;
      void this.run();
    }, due - now);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.lastStart = this.timers.now();
    try {
      await this.refresh();
    } finally {
      this.running = false;
      const queued = this.queued;
      this.queued = null;
      if (queued !== null) this.ask(queued);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
  }
}
