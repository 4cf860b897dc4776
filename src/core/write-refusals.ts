// What a store remembers of its last refused write for health: that the store was full (Redis
// at maxmemory, a full disk) and when, so health can say so while it lasts.

/** How long health reports a refused write after it happened, unless the store sees it end sooner. */
export const WRITE_REFUSAL_MEMORY_MS = 60_000;

/** The last write a store refused because it was full, and why. */
export class WriteRefusals {
  private last: { at: number; reason: string } | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a refused write. */
  note(reason: string): void {
    this.last = { at: this.now(), reason };
  }

  /** Forgets the refusal: the store saw a write succeed, or its limit freed up. */
  clear(): void {
    this.last = null;
  }

  /** The reason of a refusal within the last WRITE_REFUSAL_MEMORY_MS, or null. */
  recent(): string | null {
    if (this.last === null) return null;
    if (this.now() - this.last.at > WRITE_REFUSAL_MEMORY_MS) {
      this.last = null;
      return null;
    }
    return this.last.reason;
  }
}
