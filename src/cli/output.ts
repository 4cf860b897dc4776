// Where a command's results go: human text or JSON on stdout, notes and progress on stderr.
// In --json mode stdout carries exactly one JSON document, so scripts can parse it.
import { ProgressBar, type BarStream } from "./progress-bar.js";

/** Output of one command run. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: BarStream,
    private readonly stderr: BarStream,
  ) {}

  /** Prints a result: `human()` as text, or `data` as JSON in --json mode. */
  result(human: () => string, data: unknown): void {
    this.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
  }

  /** Prints a line for people on stdout; nothing in --json mode. */
  line(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Prints a note or warning on stderr (both modes: stdout stays parseable). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** A progress bar on stderr when it is a terminal and output is not JSON. */
  progress(label: string, total: number | null): ProgressBar {
    return ProgressBar.on(this.stderr, label, total, !this.json);
  }
}
