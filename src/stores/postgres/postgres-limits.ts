// Per-key limits on PostgreSQL (decision 0023): settings, the admission of a lane's head (a free
// concurrency slot and a rate token for each of its limits), the round-robin claim over a queue's
// lanes, and the usage reads. Slots are counted by the trigger of 001-init.sql, so every
// transition that starts or ends a lease takes or frees them; admission locks each limit's usage
// row (FOR UPDATE), so two claims never both take a queue's last slot. Each runs inside a
// transaction the store opened; none opens one itself.
import { InvalidCursorError } from "../../core/errors.js";
import { LANE_SEPARATOR, bucketTokens, storedRate, type LimitKey, type LimitPage, type LimitSetting, type LimitUsage, type RateLimit } from "../../core/limits.js";
import type { UpsertLimitRequest } from "../../core/store.js";
import type { Tx } from "./postgres-database.js";

// A claim looks at no more lanes of one queue than this (the lanes it looked at go to the back).
const LANES_PER_CLAIM = 200;

const SQL = {
  lanes: `SELECT lane FROM {s}.limit_lanes WHERE queue = $1 AND (waiting > 0 OR lane = '') ORDER BY served, lane LIMIT ${LANES_PER_CLAIM}`,
  laneHead: `SELECT id, limit_keys FROM {s}.jobs WHERE status = 'QUEUED' AND queue = $1 AND lane = $2 ORDER BY position LIMIT 1
    FOR UPDATE SKIP LOCKED`,
  mainHead: `SELECT id, limit_keys FROM {s}.jobs WHERE status = 'QUEUED' AND queue = $1 AND lane IS NULL ORDER BY position LIMIT 1
    FOR UPDATE SKIP LOCKED`,
  nextServed: "SELECT coalesce(max(served), 0) + 1 AS n FROM {s}.limit_lanes WHERE queue = $1",
  serve: `INSERT INTO {s}.limit_lanes AS l (queue, lane, served) VALUES ($1, $2, $3)
    ON CONFLICT (queue, lane) DO UPDATE SET served = excluded.served`,
  setting: "SELECT * FROM {s}.limit_settings WHERE name = $1 AND key IN ($2, '') ORDER BY key DESC LIMIT 1",
  settingExact: "SELECT * FROM {s}.limit_settings WHERE name = $1 AND key = $2",
  usage: "SELECT running, tokens, tokens_at FROM {s}.limit_usage WHERE name = $1 AND key = $2",
  // The usage row, created when missing and locked until the claim commits.
  lockUsage: `INSERT INTO {s}.limit_usage AS u (name, key) VALUES ($1, $2)
    ON CONFLICT (name, key) DO UPDATE SET running = u.running RETURNING running, tokens, tokens_at`,
  takeToken: "UPDATE {s}.limit_usage SET tokens = $3, tokens_at = $4 WHERE name = $1 AND key = $2",
  upsert: `INSERT INTO {s}.limit_settings AS l (name, key, concurrency, rate_limit, rate_period_ms, rate_burst, source, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (name, key) DO UPDATE SET concurrency = excluded.concurrency, rate_limit = excluded.rate_limit,
      rate_period_ms = excluded.rate_period_ms, rate_burst = excluded.rate_burst, source = excluded.source,
      updated_at = excluded.updated_at
    WHERE l.source = 'declared' OR excluded.source = 'operator'`,
  remove: "DELETE FROM {s}.limit_settings WHERE name = $1 AND key = $2",
  waitingOfLane: "SELECT coalesce(sum(waiting), 0)::bigint AS n FROM {s}.limit_lanes WHERE lane = $1",
  // Every (name, key) with a slot taken, an override, or waiting jobs in a lane of its own.
  listed: `SELECT name, key FROM (
      SELECT name, key FROM {s}.limit_usage WHERE running > 0
      UNION SELECT name, key FROM {s}.limit_settings WHERE key <> ''
      UNION SELECT split_part(lane, chr(31), 1) COLLATE "C", substr(lane, strpos(lane, chr(31)) + 1) COLLATE "C" FROM {s}.limit_lanes WHERE waiting > 0 AND lane <> ''
    ) k WHERE (name, key) > ($1::text, $2::text) ORDER BY name, key LIMIT $3`,
} as const;

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

/** The limit steps. */
export class LimitSteps {
  /**
   * Claims up to `want` jobs of a queue that has lanes, serving its lanes (the main list among
   * them) round-robin: one job per lane per turn, a lane whose head its limits refuse skipped.
   */
  async claimQueue<T>(tx: Tx, queue: string, want: number, now: number, lease: (id: string) => Promise<T>): Promise<T[]> {
    let lanes = (await tx.rows<{ lane: string }>(SQL.lanes, [queue])).map((r) => r.lane);
    if (!lanes.includes("")) lanes.unshift("");
    const claimed: T[] = [];
    const looked = new Set<string>();
    while (claimed.length < want && lanes.length > 0) {
      const open: string[] = [];
      for (const lane of lanes) {
        if (claimed.length >= want) break;
        looked.add(lane);
        const head = await (lane === "" ? tx.row<{ id: string; limit_keys: string | null }>(SQL.mainHead, [queue]) : tx.row<{ id: string; limit_keys: string | null }>(SQL.laneHead, [queue, lane]));
        if (head === undefined) continue;
        const keys = head.limit_keys === null ? [] : (JSON.parse(head.limit_keys) as LimitKey[]);
        if (!(await this.admitAndTake(tx, keys, now))) continue;
        claimed.push(await lease(head.id));
        open.push(lane);
      }
      lanes = open;
    }
    if (claimed.length > 0) {
      let served = ((await tx.row<{ n: number }>(SQL.nextServed, [queue])) as { n: number }).n;
      for (const lane of looked) await tx.run(SQL.serve, [queue, lane, served++]);
    }
    return claimed;
  }

  /** Whether every limit of a job admits it now (a free slot, a rate token); when so, takes its tokens. */
  private async admitAndTake(tx: Tx, keys: readonly LimitKey[], now: number): Promise<boolean> {
    const taken: Array<{ name: string; key: string; tokens: number }> = [];
    // Locked in (name, key) order, as every claim locks them.
    const sorted = [...keys].sort((a, b) => (a.name === b.name ? (a.key < b.key ? -1 : 1) : a.name < b.name ? -1 : 1));
    for (const { name, key } of sorted) {
      const setting = await tx.row<SettingRow>(SQL.setting, [name, key]);
      if (setting === undefined) continue;
      const usage = (await tx.row<UsageRow>(SQL.lockUsage, [name, key])) as UsageRow;
      if (setting.concurrency !== null && usage.running >= setting.concurrency) return false;
      const rate = rateOf(setting);
      if (rate === null) continue;
      const tokens = tokensAt(rate, usage, now);
      if (tokens < 1) return false;
      taken.push({ name, key, tokens: tokens - 1 });
    }
    for (const t of taken) await tx.run(SQL.takeToken, [t.name, t.key, t.tokens, now]);
    return true;
  }

  async upsert(tx: Tx, request: UpsertLimitRequest, now: number): Promise<LimitSetting> {
    const key = request.key ?? "";
    await tx.run(SQL.upsert, [request.name, key, request.concurrency, request.rate?.limit ?? null, request.rate?.periodMs ?? null, request.rate?.burst ?? null, request.source, now]);
    return this.settingOf((await tx.row<SettingRow>(SQL.settingExact, [request.name, key])) as SettingRow);
  }

  async remove(tx: Tx, name: string, key: string | null): Promise<void> {
    await tx.run(SQL.remove, [name, key ?? ""]);
  }

  /** How one (name, key) stands now. */
  async usage(tx: Tx, name: string, key: string, now: number): Promise<LimitUsage> {
    const setting = await tx.row<SettingRow>(SQL.setting, [name, key]);
    const usage = await tx.row<UsageRow>(SQL.usage, [name, key]);
    const rate = rateOf(setting);
    const tokens = rate === null ? null : tokensAt(rate, usage, now);
    const running = usage?.running ?? 0;
    const concurrency = setting?.concurrency ?? null;
    const waiting = ((await tx.row<{ n: number }>(SQL.waitingOfLane, [`${name}${LANE_SEPARATOR}${key}`])) as { n: number }).n;
    return {
      name,
      key,
      concurrency,
      rate,
      running,
      waiting,
      tokens: tokens === null ? null : Math.floor(tokens * 1000) / 1000,
      atLimit: (concurrency !== null && running >= concurrency) || (tokens !== null && tokens < 1),
    };
  }

  /** A page of usage, in (name, key) order; the cursor is the last pair's JSON. */
  async list(tx: Tx, limit: number, cursor: string | null, now: number): Promise<LimitPage> {
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
    const rows = await tx.rows<{ name: string; key: string }>(SQL.listed, [after[0], after[1], limit + 1]);
    const page: LimitUsage[] = [];
    for (const r of rows.slice(0, limit)) page.push(await this.usage(tx, r.name, r.key, now));
    const last = page[page.length - 1];
    return { limits: page, nextCursor: rows.length > limit && last !== undefined ? JSON.stringify([last.name, last.key]) : null };
  }

  private settingOf(row: SettingRow): LimitSetting {
    return { name: row.name, key: row.key === "" ? null : row.key, concurrency: row.concurrency, rate: rateOf(row), source: row.source, updatedAt: row.updated_at };
  }
}
