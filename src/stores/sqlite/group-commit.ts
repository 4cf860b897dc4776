// Group commit for the SQLite store: settlements that arrive in the same event-loop turn share
// one IMMEDIATE transaction (and one fsync), each in its own savepoint so that one refused
// settlement (a stale lease) changes nothing and does not undo the others. Every caller's
// promise resolves only after the shared transaction committed.
import type BetterSqlite3 from "better-sqlite3";

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Collects write operations and commits them together on the next turn. */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly afterCommit: () => void,
    private readonly translateError: (error: unknown) => unknown,
  ) {}

  /** Queues `run` for the next group; resolves with its result once committed. */
  add<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db
        .transaction(() => {
          for (const op of batch) {
            try {
              // A nested transaction is a savepoint: a throwing op is rolled back alone.
              outcomes.push({ ok: true, value: this.db.transaction(op.run)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      const translated = this.translateError(error);
      for (const op of batch) op.reject(translated);
      return;
    }
    this.afterCommit();
    batch.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) op.resolve(outcome.value);
      // An op's own failure (a full disk met inside its savepoint) is translated as well.
      else op.reject(this.translateError(outcome?.error));
    });
  }
}
