// Per-minute finish counts as stores report them (Store.finishesPerMinute): rows of one queue,
// one minute and one kind of finish, gathered into one row per queue and minute.
import type { MinuteFinishes } from "./job.js";

/** One count read from a store: `minute` is the minute number (epoch ms / 60,000). */
export interface FinishCount {
  queue: string;
  minute: number;
  kind: "completed" | "failed";
  count: number;
}

/** Gathers counts into one row per queue and minute (minute start in epoch ms). */
export function gatherFinishes(counts: Iterable<FinishCount>): MinuteFinishes[] {
  const byKey = new Map<string, MinuteFinishes>();
  for (const { queue, minute, kind, count } of counts) {
    const key = `${queue}\u0000${minute}`;
    let row = byKey.get(key);
    if (row === undefined) {
      row = { queue, minute: minute * 60_000, completed: 0, failed: 0 };
      byKey.set(key, row);
    }
    row[kind] += count;
  }
  return [...byKey.values()];
}
