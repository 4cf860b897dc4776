// Job events for watchers in every process: scripts append to a capped stream while a
// `watching` key exists (set here with a TTL and refreshed), and each watcher reads the stream
// with a blocking XREAD on its own connection, resuming from the last id it delivered.
import type { JobEvent } from "../../core/events.js";
import type { Logger } from "../../core/logger.js";
import { decodeEvent } from "./job-hash.js";
import type { RedisKeys } from "./keys.js";
import { duplicateConnection } from "./redis-connection.js";
import type { RedisConnection } from "./scripts.js";

const WATCH_TTL_MS = 60_000;
const WATCH_REFRESH_MS = 20_000;
const BLOCK_MS = 5000;
const STREAM_ID = /^\d+-\d+$/;

/** Delivers the namespace's job events to listeners. */
export class EventFeed {
  private readonly stops = new Set<() => Promise<void>>();

  constructor(
    private readonly main: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly log: Logger,
  ) {}

  /** Starts delivering events after `afterSeq` (or from now); returns the unsubscribe function. */
  async watch(listener: (event: JobEvent) => void, afterSeq?: string): Promise<() => Promise<void>> {
    await this.markWatching();
    const end = await this.lastId();
    // An id past the stream's end (from a log that is gone, or made up) resumes from now: a
    // read after it would wait for ever, or fail for an id Redis cannot hold.
    let last = afterSeq !== undefined && resumable(afterSeq, end) ? afterSeq : end;
    const reader = duplicateConnection(this.main);
    reader.on("error", () => undefined);
    await reader.connect();
    let active = true;
    const refresh = setInterval(() => void this.markWatching().catch(() => undefined), WATCH_REFRESH_MS);
    refresh.unref();
    const loop = (async () => {
      while (active) {
        try {
          const reply = await reader.xread("COUNT", 500, "BLOCK", BLOCK_MS, "STREAMS", this.keys.stream(), last);
          for (const [id, fields] of reply?.[0]?.[1] ?? []) {
            last = id;
            listener(streamEvent(id, fields));
          }
        } catch (error) {
          if (!active) break;
          this.log.debug("event stream read failed; retrying", { error: String(error) });
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    })();
    const stop = async (): Promise<void> => {
      active = false;
      clearInterval(refresh);
      this.stops.delete(stop);
      reader.disconnect();
      await loop;
    };
    this.stops.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of [...this.stops]) await stop();
  }

  private async markWatching(): Promise<void> {
    await this.main.set(this.keys.watching(), "1", "PX", WATCH_TTL_MS);
  }

  private async lastId(): Promise<string> {
    const [entry] = (await this.main.xrevrange(this.keys.stream(), "+", "-", "COUNT", 1)) as Array<[string, string[]]>;
    return entry?.[0] ?? "0-0";
  }
}

const MAX_U64 = 2n ** 64n - 1n;

/** True when `id` is a stream id `<ms>-<seq>` that Redis can hold, at or before `end`. */
function resumable(id: string, end: string): boolean {
  if (!STREAM_ID.test(id)) return false;
  const [ms = 0n, seq = 0n] = id.split("-").map(BigInt);
  const [endMs = 0n, endSeq = 0n] = end.split("-").map(BigInt);
  return ms <= MAX_U64 && seq <= MAX_U64 && (ms < endMs || (ms === endMs && seq <= endSeq));
}

function streamEvent(id: string, fields: string[]): JobEvent {
  // Scripts write the fields in a fixed order: j (job id), q (queue), t (task), e (event JSON).
  const [, jobId = "", , queue = "", , task = "", , body = "{}"] = fields;
  return decodeEvent(body, jobId, queue, task, id);
}
