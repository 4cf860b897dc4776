// `caudex stats --watch`: takes a snapshot every interval until Ctrl-C or SIGTERM. On a terminal
// each snapshot redraws the screen; piped, each one is appended under a time line (with --json,
// one JSON document per line), so a log keeps the history.

/** One snapshot: the table for people and the document for --json. */
export interface Snapshot {
  text: string;
  data: Record<string, unknown>;
}

/** How to watch: every `intervalMs`, to `write`, until `signal` aborts. */
export interface WatchOptions {
  intervalMs: number;
  /** Redraw in place (stdout is a terminal) rather than append. */
  tty: boolean;
  json: boolean;
  write(text: string): void;
  signal: AbortSignal;
  /** Waits `ms` or until `signal` aborts; injectable so tests need no clock. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The time shown above each snapshot. */
  now?: () => Date;
}

// Cursor home, then clear the screen: the next table replaces the last without scrolling.
const REDRAW = "\u001b[H\u001b[2J";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Writes a snapshot every interval until the signal aborts; resolves with the number written. */
export async function watchSnapshots(take: () => Promise<Snapshot>, options: WatchOptions): Promise<number> {
  const wait = options.wait ?? sleep;
  const now = options.now ?? (() => new Date());
  const seconds = options.intervalMs / 1000;
  let count = 0;
  while (!options.signal.aborted) {
    const snapshot = await take();
    // A stop that came while the store answered prints nothing more.
    if (options.signal.aborted) break;
    const at = now().toISOString().replace(/\.\d{3}Z$/, "Z");
    if (options.json) options.write(`${JSON.stringify({ at, ...snapshot.data })}\n`);
    else if (options.tty) options.write(`${REDRAW}Every ${seconds}s, ${at} (Ctrl-C stops)\n\n${snapshot.text}\n`);
    else options.write(`${count === 0 ? "" : "\n"}--- ${at}\n${snapshot.text}\n`);
    count += 1;
    await wait(options.intervalMs, options.signal);
  }
  return count;
}
