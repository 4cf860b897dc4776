// A one-line progress bar for long operations, drawn on stderr only when it is a terminal:
// piped or --json output stays free of control characters.

const WIDTH = 30;
// Redrawing more often than this only costs time on a slow terminal.
const REDRAW_INTERVAL_MS = 80;

/** A stream the bar may draw on. */
export interface BarStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

/** Progress of one operation; `total` null means unknown (a counter is shown instead). */
export class ProgressBar {
  private current = 0;
  private lastDrawAt = 0;
  private drawn = false;

  constructor(
    private readonly stream: BarStream | null,
    private readonly label: string,
    private total: number | null,
  ) {}

  /** A bar on `stream` when it is a terminal and `enabled`; otherwise a silent one. */
  static on(stream: BarStream, label: string, total: number | null, enabled = true): ProgressBar {
    return new ProgressBar(enabled && stream.isTTY === true ? stream : null, label, total);
  }

  /** Sets the amount done (and the total, when it becomes known). */
  update(current: number, total: number | null = this.total): void {
    this.current = current;
    this.total = total;
    const now = Date.now();
    if (now - this.lastDrawAt < REDRAW_INTERVAL_MS) return;
    this.lastDrawAt = now;
    this.draw();
  }

  /** Draws the final state and ends the line. */
  done(): void {
    if (this.stream === null) return;
    this.draw();
    if (this.drawn) this.stream.write("\n");
  }

  private draw(): void {
    if (this.stream === null) return;
    this.drawn = true;
    if (this.total === null || this.total <= 0) {
      this.stream.write(`\r\u001b[K${this.label} ${this.current}`);
      return;
    }
    const ratio = Math.max(0, Math.min(1, this.current / this.total));
    const filled = Math.round(ratio * WIDTH);
    const bar = `${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}`;
    this.stream.write(`\r\u001b[K${this.label} ${bar} ${Math.round(ratio * 100)}% ${this.current}/${this.total}`);
  }
}
