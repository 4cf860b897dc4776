// Limits as the API shows them (snake_case, ISO 8601 UTC) and PUT bodies back into the core's
// LimitChange. The CLI's --json prints limits through the same views.
import type { LimitChange } from "../core/limit-control.js";
import type { LimitPage, LimitSetting, LimitUsage, RateLimit } from "../core/limits.js";
import { iso } from "./views.js";

/** A rate on the wire. */
export interface RateBody {
  limit: number;
  period_ms: number;
  burst?: number;
}

/** Body of PUT /limits/{name}[/{key}] after validation. */
export interface LimitBody {
  concurrency?: number | null;
  rate?: RateBody | null;
}

/** A rate as the API shows it, or null. */
export function rateView(rate: Required<RateLimit> | null): { limit: number; period_ms: number; burst: number } | null {
  return rate === null ? null : { limit: rate.limit, period_ms: rate.periodMs, burst: rate.burst };
}

/** How one (name, key) stands, as the API shows it. */
export function limitUsageView(usage: LimitUsage): Record<string, unknown> {
  return {
    name: usage.name,
    key: usage.key,
    concurrency: usage.concurrency,
    rate: rateView(usage.rate),
    running: usage.running,
    waiting: usage.waiting,
    tokens: usage.tokens,
    at_limit: usage.atLimit,
  };
}

/** A page of limits as the API shows it. */
export function limitPageView(page: LimitPage): { limits: Array<Record<string, unknown>>; next_cursor: string | null } {
  return { limits: page.limits.map(limitUsageView), next_cursor: page.nextCursor };
}

/** A stored setting as the API shows it. */
export function limitSettingView(setting: LimitSetting): Record<string, unknown> {
  return {
    name: setting.name,
    key: setting.key,
    concurrency: setting.concurrency,
    rate: rateView(setting.rate),
    source: setting.source,
    updated_at: iso(setting.updatedAt),
  };
}

/** The core's change for a PUT body. */
export function limitChangeFromBody(body: LimitBody): LimitChange {
  const change: LimitChange = {};
  if (body.concurrency !== undefined) change.concurrency = body.concurrency;
  if (body.rate !== undefined && body.rate !== null) {
    change.rate = { limit: body.rate.limit, periodMs: body.rate.period_ms, ...(body.rate.burst === undefined ? {} : { burst: body.rate.burst }) };
  }
  return change;
}
