// Maintenance: fires due schedules, promotes due jobs, recovers expired leases, prunes by retention.
// Any number of processes may run it at once: each step is an atomic, bounded store call,
// so two runners at worst split the work between them.
import { silentLogger, type Logger } from "./logger.js";
import { fireDueSchedules } from "./schedule-firing.js";
import type { Store } from "./store.js";

/** Options of the maintenance loop. */
export interface MaintenanceOptions {
  intervalMs: number;
  /** Stalls (expired leases) a job may have and still be requeued; the next one fails it with STALLED. */
  stallLimit: number;
  /** Upper bound of rows one step touches per tick. */
  batchSize: number;
}

/** One tick every second, stall limit 3, 1,000 rows per step. */
export const DEFAULT_MAINTENANCE: MaintenanceOptions = { intervalMs: 1000, stallLimit: 3, batchSize: 1000 };

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** Jobs made by due schedules. */
  fired: number;
  promoted: number;
  requeued: number;
  stalled: number;
  pruned: number;
}

/**
 * One step of a pass: a bounded, atomic store call and the counts it reports. A new periodic
 * transition (firing due schedules, say) is one more entry in MAINTENANCE_STEPS, with its
 * counts in the report; the loop, the worker and the server stay as they are.
 */
export interface MaintenanceStep {
  name: string;
  run(store: Store, options: MaintenanceOptions, log: Logger): Promise<Partial<MaintenanceReport>>;
}

/** The steps of every pass, in this order. */
export const MAINTENANCE_STEPS: readonly MaintenanceStep[] = [
  {
    name: "fireDueSchedules",
    run: async (store, _o, log) => {
      const report = await fireDueSchedules(store, undefined, (schedule, error) => log.warn("schedule fire failed; it is tried again next tick", { schedule, error: String(error) }));
      return { fired: report.jobs };
    },
  },
  { name: "promoteDue", run: async (store, o) => ({ promoted: await store.promoteDue(o.batchSize) }) },
  {
    name: "recoverExpired",
    run: async (store, o) => {
      const recovered = await store.recoverExpired(o.batchSize, o.stallLimit);
      return { requeued: recovered.requeued, stalled: recovered.failed };
    },
  },
  { name: "prune", run: async (store, o) => ({ pruned: await store.prune(o.batchSize) }) },
];

/** Runs one maintenance pass: every step once, in order; the first step that fails ends the pass. */
export async function runMaintenance(store: Store, options: MaintenanceOptions, log: Logger = silentLogger): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { fired: 0, promoted: 0, requeued: 0, stalled: 0, pruned: 0 };
  for (const step of MAINTENANCE_STEPS) Object.assign(report, await step.run(store, options, log));
  return report;
}

/** A periodic maintenance loop; errors are logged and the loop carries on. */
export class Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: MaintenanceOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    // A random first delay spreads the ticks of processes started together.
    const first = Math.floor(Math.random() * this.options.intervalMs);
    this.timer = setTimeout(() => this.tick(), first);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    this.running = runMaintenance(this.store, this.options, this.log)
      .then((report) => {
        if (report.requeued + report.stalled > 0) this.log.warn("recovered jobs with expired leases", { ...report });
      })
      .catch((error: unknown) => this.log.warn("maintenance pass failed", { error: String(error) }))
      .finally(() => {
        this.running = null;
        if (this.timer !== null) {
          this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
          this.timer.unref();
        }
      });
  }
}
