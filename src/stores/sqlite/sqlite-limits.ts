// Per-key limits on SQLite (decision 0023): settings, the admission of a lane's head (a free
// concurrency slot and a rate token for each of its limits), the round-robin claim over a
// queue's lanes, and the usage reads. Slots are counted by the trigger of 008-limits.sql, so
// every transition that starts or ends a lease takes or frees them; claims write the rate
// tokens. Each runs inside a transaction the store opened; none opens one itself.
import type BetterSqlite3 from "better-sqlite3";
import { InvalidCursorError } from "../../core/errors.js";
import { LANE_SEPARATOR, bucketTokens, storedRate, type LimitKey, type LimitPage, type LimitSetting, type LimitUsage, type RateLimit } from "../../core/limits.js";
import type { UpsertLimitRequest } from "../../core/store.js";

// A claim looks at no more lanes of one queue than this: a queue with thousands of keys at
// their limit still costs a bounded claim (the lanes it looked at go to the back of the ring).
const LANES_PER_CLAIM = 200;

const LIMIT_SQL = {
  hasLanes: "SELECT 1 FROM limit_lanes WHERE queue = ? AND waiting > 0 LIMIT 1",
  lanes: `SELECT lane FROM limit_lanes WHERE queue = ? AND (waiting > 0 OR lane = '') ORDER BY served, lane LIMIT ${LANES_PER_CLAIM}`,
  laneHead: "SELECT id, limit_keys FROM jobs WHERE status = 'QUEUED' AND queue = ? AND lane = ? ORDER BY position LIMIT 1",
  mainHead: "SELECT id, limit_keys FROM jobs WHERE status = 'QUEUED' AND queue = ? AND lane IS NULL ORDER BY position LIMIT 1",
  nextServed: "SELECT coalesce(max(served), 0) + 1 FROM limit_lanes WHERE queue = ?",
  serve: `INSERT INTO limit_lanes (queue, lane, served) VALUES (?, ?, ?)
    ON CONFLICT (queue, lane) DO UPDATE SET served = excluded.served`,
  setting: "SELECT * FROM limit_settings WHERE name = ? AND key IN (?, '') ORDER BY key DESC LIMIT 1",
  settingExact: "SELECT * FROM limit_settings WHERE name = ? AND key = ?",
  usage: "SELECT running, tokens, tokens_at FROM limit_usage WHERE name = ? AND key = ?",
  takeToken: `INSERT INTO limit_usage (name, key, running, tokens, tokens_at) VALUES (@name, @key, 0, @tokens, @now)
    ON CONFLICT (name, key) DO UPDATE SET tokens = @tokens, tokens_at = @now`,
  upsert: `INSERT INTO limit_settings (name, key, concurrency, rate_limit, rate_period_ms, rate_burst, source, updated_at)
    VALUES (@name, @key, @concurrency, @rate_limit, @rate_period_ms, @rate_burst, @source, @now)
    ON CONFLICT (name, key) DO UPDATE SET concurrency = excluded.concurrency, rate_limit = excluded.rate_limit,
      rate_period_ms = excluded.rate_period_ms, rate_burst = excluded.rate_burst, source = excluded.source,
      updated_at = excluded.updated_at
    WHERE limit_settings.source = 'declared' OR excluded.source = 'operator'`,
  remove: "DELETE FROM limit_settings WHERE name = ? AND key = ?",
  waitingOfLane: "SELECT coalesce(sum(waiting), 0) FROM limit_lanes WHERE lane = ?",
  // Every (name, key) with a slot taken, a bucket, an override, or waiting jobs in a lane of its own.
  listed: `SELECT name, key FROM (
      SELECT name, key FROM limit_usage WHERE running > 0
      UNION SELECT name, key FROM limit_settings WHERE key <> ''
      UNION SELECT substr(lane, 1, instr(lane, char(31)) - 1), substr(lane, instr(lane, char(31)) + 1) FROM limit_lanes WHERE waiting > 0 AND lane <> ''
    ) WHERE (name, key) > (@name, @key) ORDER BY name, key LIMIT @limit`,
} as const;

type LimitStatements = Record<keyof typeof LIMIT_SQL, BetterSqlite3.Statement<unknown[], unknown>>;

interface SettingRow {
  name: string;
  key: string;
  concurrency: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  rate_burst: number | null;
  source: "declared" | "operator";
  updated_at: number;
}

interface UsageRow {
  running: number;
  tokens: number | null;
  tokens_at: number | null;
}

function rateOf(row: SettingRow | undefined): Required<RateLimit> | null {
  return row === undefined ? null : storedRate(row.rate_limit, row.rate_period_ms, row.rate_burst);
}

function tokensAt(rate: Required<RateLimit>, usage: UsageRow | undefined, now: number): number {
  return bucketTokens(rate, usage?.tokens, usage?.tokens_at, now);
}

/** The limit steps of one connection. */
export class LimitSteps {
  private readonly st: LimitStatements;

  constructor(db: BetterSqlite3.Database) {
    this.st = Object.fromEntries(Object.entries(LIMIT_SQL).map(([name, sql]) => [name, db.prepare(sql)])) as LimitStatements;
  }

  /** Whether the queue has a lane with waiting jobs: else its claim takes today's path. */
  hasLanes(queue: string): boolean {
    return this.st.hasLanes.get(queue) !== undefined;
  }

  /**
   * Claims up to `want` jobs of a queue that has lanes, serving its lanes (the main list among
   * them) round-robin: one job per lane per turn, a lane whose head its limits refuse skipped.
   * Every lane looked at goes to the back of the ring when the claim leased anything.
   */
  claimQueue<T>(queue: string, want: number, now: number, lease: (id: string) => T): T[] {
    let lanes = this.st.lanes.pluck().all(queue) as string[];
    // The main list is a lane too: one never served yet comes first.
    if (!lanes.includes("")) lanes.unshift("");
    const claimed: T[] = [];
    const looked = new Set<string>();
    while (claimed.length < want && lanes.length > 0) {
      const open: string[] = [];
      for (const lane of lanes) {
        if (claimed.length >= want) break;
        looked.add(lane);
        const head = (lane === "" ? this.st.mainHead.get(queue) : this.st.laneHead.get(queue, lane)) as { id: string; limit_keys: string | null } | undefined;
        if (head === undefined) continue;
        const keys = head.limit_keys === null ? [] : (JSON.parse(head.limit_keys) as LimitKey[]);
        if (!this.admit(keys, now)) continue;
        this.takeTokens(keys, now);
        claimed.push(lease(head.id));
        open.push(lane);
      }
      lanes = open;
    }
    if (claimed.length > 0) {
      let served = this.st.nextServed.pluck().get(queue) as number;
      for (const lane of looked) this.st.serve.run(queue, lane, served++);
    }
    return claimed;
  }

  /** Whether every limit of a job admits it now: a free slot under its concurrency, a token of its rate. */
  admit(keys: readonly LimitKey[], now: number): boolean {
    for (const { name, key } of keys) {
      const setting = this.st.setting.get(name, key) as SettingRow | undefined;
      if (setting === undefined) continue;
      const usage = this.st.usage.get(name, key) as UsageRow | undefined;
      if (setting.concurrency !== null && (usage?.running ?? 0) >= setting.concurrency) return false;
      const rate = rateOf(setting);
      if (rate !== null && tokensAt(rate, usage, now) < 1) return false;
    }
    return true;
  }

  /** Takes one token of each rated limit of a job being leased (its slots are the trigger's). */
  private takeTokens(keys: readonly LimitKey[], now: number): void {
    for (const { name, key } of keys) {
      const rate = rateOf(this.st.setting.get(name, key) as SettingRow | undefined);
      if (rate === null) continue;
      const tokens = tokensAt(rate, this.st.usage.get(name, key) as UsageRow | undefined, now) - 1;
      this.st.takeToken.run({ name, key, tokens, now });
    }
  }

  upsert(request: UpsertLimitRequest, now: number): LimitSetting {
    this.st.upsert.run({
      name: request.name,
      key: request.key ?? "",
      concurrency: request.concurrency,
      rate_limit: request.rate?.limit ?? null,
      rate_period_ms: request.rate?.periodMs ?? null,
      rate_burst: request.rate?.burst ?? null,
      source: request.source,
      now,
    });
    return this.settingOf(this.st.settingExact.get(request.name, request.key ?? "") as SettingRow);
  }

  remove(name: string, key: string | null): void {
    this.st.remove.run(name, key ?? "");
  }

  /** How one (name, key) stands now. */
  usage(name: string, key: string, now: number): LimitUsage {
    const setting = this.st.setting.get(name, key) as SettingRow | undefined;
    const usage = this.st.usage.get(name, key) as UsageRow | undefined;
    const rate = rateOf(setting);
    const tokens = rate === null ? null : tokensAt(rate, usage, now);
    const running = usage?.running ?? 0;
    const concurrency = setting?.concurrency ?? null;
    return {
      name,
      key,
      concurrency,
      rate,
      running,
      waiting: this.st.waitingOfLane.pluck().get(`${name}${LANE_SEPARATOR}${key}`) as number,
      tokens: tokens === null ? null : Math.floor(tokens * 1000) / 1000,
      atLimit: (concurrency !== null && running >= concurrency) || (tokens !== null && tokens < 1),
    };
  }

  /** A page of usage, in (name, key) order; the cursor is the last pair's JSON. */
  list(limit: number, cursor: string | null, now: number): LimitPage {
    let after: [string, string] = ["", ""];
    if (cursor !== null) {
      try {
        const parsed = JSON.parse(cursor) as unknown;
        if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string") throw new Error("shape");
        after = parsed as [string, string];
      } catch (error) {
        throw new InvalidCursorError("not a limits cursor", error);
      }
    }
    const rows = this.st.listed.all({ name: after[0], key: after[1], limit: limit + 1 }) as Array<{ name: string; key: string }>;
    const page = rows.slice(0, limit).map((r) => this.usage(r.name, r.key, now));
    const last = page[page.length - 1];
    return { limits: page, nextCursor: rows.length > limit && last !== undefined ? JSON.stringify([last.name, last.key]) : null };
  }

  private settingOf(row: SettingRow): LimitSetting {
    return { name: row.name, key: row.key === "" ? null : row.key, concurrency: row.concurrency, rate: rateOf(row), source: row.source, updatedAt: row.updated_at };
  }
}
