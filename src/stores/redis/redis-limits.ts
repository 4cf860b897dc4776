// Per-key limits on Redis (decision 0023): settings (upsert-limit.lua, remove-limit.lua) and the
// usage reads (get-limit.lua, list-limits.lua). Admission, lanes and slots live in the claim and
// the transitions' scripts (lua/includes/admission.lua, lanes.lua); this module encodes and decodes.
import { InvalidCursorError } from "../../core/errors.js";
import type { LimitPage, LimitSetting, LimitUsage, RateLimit } from "../../core/limits.js";
import type { UpsertLimitRequest } from "../../core/store.js";
import type { RedisKeys } from "./keys.js";
import { scripts, type ScriptRunner } from "./scripts.js";

// Index entries a listing reads per call at most: entries that no longer qualify are dropped on
// the way, so one call stays bounded however many keys went idle since the last listing.
const LIST_BUDGET = 1000;

/** A setting as `limits` stores it (see upsert-limit.lua). */
interface StoredSetting {
  s: "declared" | "operator";
  t: number;
  c?: number;
  r?: [number, number, number];
}

/** A usage row as the scripts answer it: name, key, setting JSON, running, bucket, waiting, has override. */
type UsageRow = [string, string, string, string, string, string, string];

function rateOf(setting: StoredSetting | null): Required<RateLimit> | null {
  return setting?.r === undefined ? null : { limit: setting.r[0], periodMs: setting.r[1], burst: setting.r[2] };
}

/** The tokens of a bucket ('<tokens>|<ms>', '' when full) at `now`: refilled since, at most its size. */
function tokensAt(rate: Required<RateLimit>, bucket: string, now: number): number {
  const size = Math.max(rate.burst, 1);
  const bar = bucket.indexOf("|");
  if (bar < 0) return size;
  const tokens = Number(bucket.slice(0, bar));
  const at = Number(bucket.slice(bar + 1));
  return Math.min(size, tokens + (Math.max(now - at, 0) * rate.limit) / rate.periodMs);
}

function usageOf(row: UsageRow, now: number): LimitUsage {
  const [name, key, settingText, runningText, bucket, waitingText] = row;
  const setting = settingText === "" ? null : (JSON.parse(settingText) as StoredSetting);
  const rate = rateOf(setting);
  const tokens = rate === null ? null : tokensAt(rate, bucket, now);
  const running = Math.max(Number(runningText), 0);
  const concurrency = setting?.c ?? null;
  return {
    name,
    key,
    concurrency,
    rate,
    running,
    waiting: Math.max(Number(waitingText), 0),
    tokens: tokens === null ? null : Math.floor(tokens * 1000) / 1000,
    atLimit: (concurrency !== null && running >= concurrency) || (tokens !== null && tokens < 1),
  };
}

/** The limit settings and usage of one Redis namespace. */
export class RedisLimits {
  constructor(
    private readonly keys: RedisKeys,
    private readonly run: ScriptRunner,
  ) {}

  /** Store.upsertLimit. */
  async upsert(request: UpsertLimitRequest): Promise<LimitSetting> {
    const members: string[] = [];
    if (request.concurrency !== null) members.push(`"c":${request.concurrency}`);
    if (request.rate !== null) members.push(`"r":[${request.rate.limit},${request.rate.periodMs},${request.rate.burst}]`);
    const reply = await this.run(scripts.upsertLimit, {
      keys: { limits: this.keys.limits() },
      argv: { name: request.name, key: request.key ?? "", source: request.source, settings: members.join(",") },
    });
    const stored = JSON.parse(String(reply.data[0])) as StoredSetting;
    return { name: request.name, key: request.key, concurrency: stored.c ?? null, rate: rateOf(stored), source: stored.s, updatedAt: stored.t };
  }

  /** Store.removeLimit. */
  async remove(name: string, key: string | null): Promise<void> {
    await this.run(scripts.removeLimit, { keys: { limits: this.keys.limits() }, argv: { name, key: key ?? "" } });
  }

  /** Store.getLimit. */
  async get(name: string, key: string): Promise<LimitUsage> {
    const reply = await this.run(scripts.getLimit, { keys: { limits: this.keys.limits() }, argv: { name, key } });
    return usageOf(reply.data[1] as UsageRow, Number(reply.data[0]));
  }

  /** Store.listLimits: the cursor is the JSON of the last pair listed, as on SQLite. */
  async list(limit: number, cursor: string | null): Promise<LimitPage> {
    let after = "";
    if (cursor !== null) {
      try {
        const parsed = JSON.parse(cursor) as unknown;
        if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string" || parsed[0].includes("\0")) throw new Error("shape");
        after = `${parsed[0]}\0${parsed[1]}`;
      } catch (error) {
        throw new InvalidCursorError("not a limits cursor", error);
      }
    }
    const reply = await this.run(scripts.listLimits, { keys: { index: this.keys.limitIndex() }, argv: { after, limit, budget: LIST_BUDGET } });
    const now = Number(reply.data[0]);
    const next = String(reply.data[1]);
    const limits = (reply.data.slice(2) as UsageRow[]).map((row) => usageOf(row, now));
    const bar = next.indexOf("\0");
    return { limits, nextCursor: next === "" ? null : JSON.stringify([next.slice(0, bar), next.slice(bar + 1)]) };
  }
}
