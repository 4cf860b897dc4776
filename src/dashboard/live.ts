// The live feed: one EventSource on /events. The browser resumes a dropped stream itself
// (sending Last-Event-ID); when the server refuses or is gone, a new stream is opened with
// backoff, so the page reconnects after a restart without a reload.
import type { EventView } from "./api.js";

/** Names of the job events the server streams. */
export const JOB_EVENT_TYPES = [
  "job:created", "job:enqueued", "job:scheduled", "job:started", "job:progress", "job:completed",
  "job:failed", "job:retrying", "job:stalled", "job:released", "job:canceled", "job:removed",
] as const;

/** State of the live connection. */
export type LiveState = "connecting" | "live" | "offline";

/** What the feed reports to the page. */
export interface LiveListener {
  event(event: EventView): void;
  state(state: LiveState): void;
}

const MAX_BACKOFF_MS = 5000;

/** Keeps one event stream open for as long as the page wants it. */
export class LiveFeed {
  private source: EventSource | null = null;
  private failures = 0;
  private timer: number | null = null;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly listener: LiveListener,
  ) {}

  /** Opens the stream. */
  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes the stream for good. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  private open(): void {
    this.listener.state("connecting");
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener("open", () => {
      this.failures = 0;
      this.listener.state("live");
    });
    source.addEventListener("error", () => {
      this.listener.state(source.readyState === EventSource.CONNECTING ? "connecting" : "offline");
      if (source.readyState === EventSource.CLOSED) this.reopenLater();
    });
    for (const type of JOB_EVENT_TYPES) {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        try {
          this.listener.event(JSON.parse(message.data) as EventView);
        } catch {
          // A malformed message is skipped; the next refresh shows the truth anyway.
        }
      });
    }
  }

  private reopenLater(): void {
    if (this.stopped) return;
    this.source?.close();
    this.source = null;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.failures);
    this.failures += 1;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
