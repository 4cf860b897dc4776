// The run-time view and control of per-key limits (decision 0023), as `client.limits`: a key's
// running and waiting counts and its settings, an operator's override, the defaults workers
// declare from their tasks, and the sentence that says why a waiting job is held back.
import { InvalidOptionsError } from "./errors.js";
import type { Job } from "./job.js";
import { fullRate, limitKeyProblems, limitSettingProblems, type LimitDefinition, type LimitPage, type LimitSetting, type LimitUsage, type RateLimit } from "./limits.js";
import { JOB_BOUNDS } from "./job-rules.js";
import type { Store } from "./store.js";
import type { TaskDefinition } from "./task.js";

/** An operator's settings for a limit name (key null: its default) or one key. */
export interface LimitChange {
  concurrency?: number | null;
  rate?: RateLimit | null;
}

type LimitStore = Required<Pick<Store, "upsertLimit" | "removeLimit" | "getLimit" | "listLimits">>;

/** Reads and changes limits on a store. */
export class Limits {
  constructor(private readonly store: Store) {}

  /** How one (name, key) stands: its settings, running and waiting jobs, tokens. */
  async get(name: string, key: string): Promise<LimitUsage> {
    this.checkPair(name, key);
    return this.limits().getLimit(name, key);
  }

  /** Every (name, key) with a running or waiting job or an override, a page at a time. */
  async list(page: { limit?: number; cursor?: string | null } = {}): Promise<LimitPage> {
    const limit = page.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > JOB_BOUNDS.maxListLimit) throw new InvalidOptionsError(`limit must be an integer from 1 to ${JOB_BOUNDS.maxListLimit}`);
    return this.limits().listLimits(limit, page.cursor ?? null);
  }

  /** Sets a limit's default (`key` null) or one key's override, as an operator: workers' declarations no longer replace it. */
  async set(name: string, key: string | null, change: LimitChange): Promise<LimitSetting> {
    this.checkPair(name, key ?? "default");
    const problems = limitSettingProblems(change);
    if (problems.length > 0) throw new InvalidOptionsError(`Invalid limit ${name}: ${problems.join("; ")}`);
    return this.limits().upsertLimit({ name, key, concurrency: change.concurrency ?? null, rate: fullRate(change.rate), source: "operator" });
  }

  /** Clears a setting: a key falls back to its name's default; a default falls back to what workers declare. */
  async clear(name: string, key: string | null): Promise<void> {
    this.checkPair(name, key ?? "default");
    return this.limits().removeLimit(name, key);
  }

  /** Writes the limits the tasks declare as their names' defaults (an operator's setting stays). */
  async declare(tasks: Iterable<TaskDefinition>): Promise<void> {
    const seen = new Map<string, LimitDefinition<never>>();
    for (const task of tasks) for (const limit of (task.options.limits ?? []) as readonly LimitDefinition<never>[]) seen.set(limit.name, limit);
    if (seen.size === 0) return;
    for (const limit of seen.values()) {
      await this.limits().upsertLimit({ name: limit.name, key: null, concurrency: limit.concurrency ?? null, rate: fullRate(limit.rate), source: "declared" });
    }
  }

  /** Why a QUEUED job under limits is not running, e.g. "limited by per-project, key 42: 2 of 2 running"; null when none holds it. */
  async holdOf(job: Job): Promise<string | null> {
    // A store that keeps no limits holds nothing back (and GET /jobs/{id} must not fail on it).
    if (job.status !== "QUEUED" || job.limitKeys.length === 0 || this.store.getLimit === undefined) return null;
    for (const { name, key } of job.limitKeys) {
      const usage = await this.limits().getLimit(name, key);
      if (!usage.atLimit) continue;
      if (usage.concurrency !== null && usage.running >= usage.concurrency) return `limited by ${name}, key ${key}: ${usage.running} of ${usage.concurrency} running`;
      if (usage.rate !== null) return `limited by ${name}, key ${key}: rate of ${usage.rate.limit} per ${usage.rate.periodMs} ms, no start left now`;
    }
    return null;
  }

  private checkPair(name: string, key: string): void {
    const problems = limitKeyProblems([{ name, key }]);
    if (problems.length > 0) throw new InvalidOptionsError(`Invalid limit: ${problems.join("; ")}`);
  }

  private limits(): LimitStore {
    const store = this.store;
    if (store.upsertLimit === undefined || store.removeLimit === undefined || store.getLimit === undefined || store.listLimits === undefined)
      throw new InvalidOptionsError(`The ${store.kind} store does not keep limits`);
    return store;
  }
}
