// The event feed of the PostgreSQL store. Sequence numbers are handed out when an event is
// written, not when its transaction commits, so reading `seq > last` could pass over an event of
// a transaction that commits later. Each event carries its transaction's id (xid8) instead, and a
// reader takes only events of transactions older than the oldest one still running
// (pg_snapshot_xmin): those have all committed or rolled back, so the log below that line never
// changes again. The position of an event is `<txid>-<seq>`, read in (txid, seq) order.
// A transaction left open for long (any writer on the server) holds deliveries back until it ends.
import type { JobEvent } from "../../core/events.js";
import type { Tx } from "./postgres-database.js";
import type { PostgresNotifier } from "./postgres-notifier.js";
import { rowToEvent, type EventRow } from "./row-decoders.js";

const BATCH = 500;
const MAX_SEQ = 9223372036854775807n;
const MAX_XID8 = 18446744073709551615n;

const SQL = {
  horizon: "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin",
  after: `SELECT e.*, e.txid::text AS txid FROM {s}.events e WHERE (e.txid, e.seq) > ($1::xid8, $2::bigint)
    AND e.txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e.txid, e.seq LIMIT ${BATCH}`,
} as const;

interface Position {
  txid: bigint;
  seq: bigint;
}

/** The position to resume after: `afterSeq` when it is one this store could have handed out by now, else from now. */
async function startPosition(tx: Tx, afterSeq: string | undefined): Promise<Position> {
  const xmin = BigInt(((await tx.row<{ xmin: string }>(SQL.horizon)) as { xmin: string }).xmin);
  // From now: every event of a transaction that may still be running comes, none older.
  const now: Position = { txid: xmin - 1n, seq: MAX_SEQ };
  const match = afterSeq === undefined ? null : /^(\d{1,20})-(\d{1,19})$/.exec(afterSeq);
  if (match === null) return now;
  const txid = BigInt(match[1] as string);
  const seq = BigInt(match[2] as string);
  // Past the log's end (a position from another database, or made up): from now.
  if (txid > MAX_XID8 || seq > MAX_SEQ || txid >= xmin) return now;
  return { txid, seq };
}

/** Delivers the events after `afterSeq` (default: from now on) to `listener`, then each new one, until the returned function is called. */
export async function watchEvents(tx: Tx, notifier: PostgresNotifier, listener: (event: JobEvent) => void, afterSeq?: string): Promise<() => void> {
  let position = await startPosition(tx, afterSeq);
  let running = false;
  let again = false;
  let stopped = false;
  const deliver = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        for (;;) {
          if (stopped) return;
          const rows = await tx.rows<EventRow>(SQL.after, [position.txid.toString(), position.seq.toString()]);
          for (const row of rows) {
            if (stopped) return;
            position = { txid: BigInt(row.txid), seq: BigInt(row.seq) };
            listener(rowToEvent(row));
          }
          if (rows.length < BATCH) break;
        }
      } while (again);
    } catch {
      // The server is away: the next wake-up or poll reads from the same position.
    } finally {
      running = false;
    }
  };
  await deliver();
  const unwatch = notifier.watch(() => void deliver());
  return () => {
    stopped = true;
    unwatch();
  };
}
