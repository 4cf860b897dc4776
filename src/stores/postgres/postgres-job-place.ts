// Where a job stands in the PostgreSQL store, for explanations: the waiting jobs ahead of a QUEUED
// job (a range of the claim's own indexes, counted up to a bound) and a running job's lease.
import type { JobPlace } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";

interface PlaceRow {
  status: string;
  queue: string;
  lane: string | null;
  position: number | null;
  lease_expires_at: number | null;
  worker_incarnation: string | null;
}

const SQL = {
  row: "SELECT status, queue, lane, position, lease_expires_at, worker_incarnation FROM {s}.jobs WHERE id = $1",
  // The LIMIT inside bounds the count: a job deep in a long queue costs `bound` index steps, no more.
  aheadMain: "SELECT count(*)::int AS n FROM (SELECT 1 FROM {s}.jobs WHERE status = 'QUEUED' AND queue = $1 AND lane IS NULL AND position < $2 LIMIT $3) a",
  aheadLane: "SELECT count(*)::int AS n FROM (SELECT 1 FROM {s}.jobs WHERE status = 'QUEUED' AND queue = $1 AND lane = $4 AND position < $2 LIMIT $3) a",
} as const;

/** Where the job stands, or null when there is none. */
export async function jobPlace(tx: Tx, jobId: string, bound: number): Promise<JobPlace | null> {
  const row = await tx.row<PlaceRow>(SQL.row, [jobId]);
  if (row === undefined) return null;
  const place: JobPlace = { ahead: null, aheadAtLeast: false, leaseExpiresAt: null, leaseIncarnation: null };
  if (row.status === "QUEUED" && row.position !== null) {
    const params = [row.queue, row.position, bound];
    const counted = await tx.row<{ n: number }>(row.lane === null ? SQL.aheadMain : SQL.aheadLane, row.lane === null ? params : [...params, row.lane]);
    place.ahead = counted?.n ?? 0;
    place.aheadAtLeast = place.ahead >= bound;
  }
  if (row.status === "PROCESSING") {
    place.leaseExpiresAt = row.lease_expires_at;
    place.leaseIncarnation = row.worker_incarnation;
  }
  return place;
}
