// Where a job stands in the SQLite store, for explanations: the waiting jobs ahead of a QUEUED
// job (a range of the claim's own indexes, counted up to a bound) and a running job's lease.
import type BetterSqlite3 from "better-sqlite3";
import type { JobPlace } from "../../core/store.js";

interface PlaceRow {
  status: string;
  queue: string;
  lane: string | null;
  position: number | null;
  lease_expires_at: number | null;
  worker_incarnation: string | null;
}

/** The statements of `jobPlace` on one database. */
export class SqliteJobPlace {
  private readonly row: BetterSqlite3.Statement;
  private readonly aheadMain: BetterSqlite3.Statement;
  private readonly aheadLane: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    this.row = db.prepare("SELECT status, queue, lane, position, lease_expires_at, worker_incarnation FROM jobs WHERE id = ?");
    // The same partial indexes the claim reads (jobs_ready_main, jobs_lane); the LIMIT inside
    // bounds the count, so a job deep in a long queue costs `bound` index steps, no more.
    this.aheadMain = db
      .prepare("SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND queue = ? AND lane IS NULL AND position < ? LIMIT ?)")
      .pluck();
    this.aheadLane = db
      .prepare("SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND queue = ? AND lane = ? AND position < ? LIMIT ?)")
      .pluck();
  }

  /** Where the job stands, or null when there is none. */
  place(jobId: string, bound: number): JobPlace | null {
    const row = this.row.get(jobId) as PlaceRow | undefined;
    if (row === undefined) return null;
    const place: JobPlace = { ahead: null, aheadAtLeast: false, leaseExpiresAt: null, leaseIncarnation: null };
    if (row.status === "QUEUED" && row.position !== null) {
      const ahead = (row.lane === null ? this.aheadMain.get(row.queue, row.position, bound) : this.aheadLane.get(row.queue, row.lane, row.position, bound)) as number;
      place.ahead = ahead;
      place.aheadAtLeast = ahead >= bound;
    }
    if (row.status === "PROCESSING") {
      place.leaseExpiresAt = row.lease_expires_at;
      place.leaseIncarnation = row.worker_incarnation;
    }
    return place;
  }
}
