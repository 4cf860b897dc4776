// GET /metrics in the Prometheus text format. Counters and histograms count the store's job
// events (from every worker, via client.on) seen by this server process since the first scrape;
// gauges (jobs by status, live workers, schedules, limits per name) are read from the store at scrape time.
// The event subscription exists only while someone scrapes: on Redis, an open subscription makes
// every claim and settlement also write its event to the shared stream (about 10 us more Redis
// time per job), which a deployment without Prometheus should not pay.
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { JobEvent } from "../../core/events.js";
import { JOB_STATUSES } from "../../core/job-states.js";
import { SCHEDULE_BOUNDS } from "../../core/job-rules.js";
import { limitGauges } from "../limit-metrics.js";
import { Counter, GaugeSnapshot, Histogram, renderMetrics } from "../metrics.js";
import { ProcessMetrics } from "../process-metrics.js";
import { errorRef } from "../schemas.js";

// From 5 ms to 1 h: short tasks and the long "generate the wiki" kind both get useful buckets.
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Counters and histograms fed by job events. */
export class JobMetrics {
  readonly enqueued = new Counter("caudex_jobs_enqueued_total", "Times a job entered QUEUED (new, promoted, retried or requeued).");
  readonly scheduled = new Counter("caudex_jobs_scheduled_total", "Jobs created to run later (SCHEDULED).");
  readonly started = new Counter("caudex_jobs_started_total", "Attempts started by a worker.");
  readonly completed = new Counter("caudex_jobs_completed_total", "Jobs completed.");
  readonly failed = new Counter("caudex_jobs_failed_total", "Jobs failed for good.");
  readonly retried = new Counter("caudex_jobs_retried_total", "Failed attempts that will be retried.");
  readonly stalled = new Counter("caudex_jobs_stalled_total", "Attempts whose worker died or lost its lease.");
  readonly canceled = new Counter("caudex_jobs_canceled_total", "Jobs canceled.");
  readonly runSeconds = new Histogram("caudex_job_run_seconds", "Run time of finished attempts.", SECONDS_BUCKETS);
  readonly waitSeconds = new Histogram("caudex_job_wait_seconds", "Time from enqueue to start of an attempt.", SECONDS_BUCKETS);

  /** Counts one event. */
  observe(event: JobEvent): void {
    const labels = { queue: event.queue, task: event.task };
    const seconds = event.durationMs === undefined ? null : Math.max(0, event.durationMs) / 1000;
    switch (event.type) {
      case "job:enqueued": this.enqueued.inc(labels); break;
      case "job:scheduled": this.scheduled.inc(labels); break;
      case "job:started":
        this.started.inc(labels);
        if (seconds !== null) this.waitSeconds.observe(labels, seconds);
        break;
      case "job:completed": this.completed.inc(labels); break;
      case "job:failed": this.failed.inc(labels); break;
      case "job:retrying": this.retried.inc(labels); break;
      case "job:stalled": this.stalled.inc(labels); break;
      case "job:canceled": this.canceled.inc(labels); break;
      default: break;
    }
    const finished = event.type === "job:completed" || event.type === "job:failed" || event.type === "job:retrying";
    if (finished && seconds !== null) this.runSeconds.observe(labels, seconds);
  }

  families(): Array<Counter | Histogram> {
    return [this.enqueued, this.scheduled, this.started, this.completed, this.failed, this.retried, this.stalled, this.canceled, this.runSeconds, this.waitSeconds];
  }
}

/** Schedules stored, paused, and overdue: due longer ago than the misfire grace (no process is firing them). Counted from the store's indexes. */
async function scheduleGauges(client: Client): Promise<GaugeSnapshot[]> {
  const { total, paused, overdue } = await client.schedules.counts();
  return [
    new GaugeSnapshot("caudex_schedules", "Schedules stored.", [{ labels: {}, value: total }]),
    new GaugeSnapshot("caudex_schedules_paused", "Schedules paused.", [{ labels: {}, value: paused }]),
    new GaugeSnapshot("caudex_schedules_overdue", `Running schedules whose next fire is over ${SCHEDULE_BOUNDS.misfireGraceMs / 1000} s late: no worker or server is firing them.`, [{ labels: {}, value: overdue }]),
  ];
}

// Whether the store takes writes, and how full it is where it can tell (Redis with maxmemory):
// the alert rules CaudexStoreRefusesWrites and CaudexRedisMemoryHigh read these.
async function storeGauges(client: Client): Promise<GaugeSnapshot[]> {
  const health = await client.storeHealth();
  return [
    new GaugeSnapshot("caudex_store_writes_refused", "1 while the store refuses writes (Redis at maxmemory, a full disk): no job is enqueued, claimed or completed.", [
      { labels: {}, value: health.writesRefused === undefined ? 0 : 1 },
    ]),
    // No sample where the store has no limit it can read (SQLite, Redis without maxmemory).
    new GaugeSnapshot("caudex_store_fullness_ratio", "How full the store is against its limit (Redis: used_memory / maxmemory).", health.fullness === undefined ? [] : [{ labels: {}, value: health.fullness }]),
  ];
}

/** Reads the gauges from the store. */
async function gauges(client: Client, workerTtlMs: number): Promise<GaugeSnapshot[]> {
  const [stats, workers, schedules, store, limits] = await Promise.all([client.stats(), client.workers(workerTtlMs), scheduleGauges(client), storeGauges(client), limitGauges(client)]);
  const jobs = stats.flatMap((q) => JOB_STATUSES.map((status) => ({ labels: { queue: q.queue, status }, value: q.counts[status] })));
  const oldest = stats.map((q) => ({ labels: { queue: q.queue }, value: (q.oldestWaitingMs ?? 0) / 1000 }));
  const paused = stats.map((q) => ({ labels: { queue: q.queue }, value: q.paused ? 1 : 0 }));
  const busy = workers.filter((w) => w.state === "busy").length;
  return [
    new GaugeSnapshot("caudex_jobs", "Jobs by queue and status, now.", jobs),
    new GaugeSnapshot("caudex_queue_oldest_waiting_seconds", "Age of the oldest QUEUED job (0 when none waits).", oldest),
    new GaugeSnapshot("caudex_queue_paused", "1 when the queue is paused.", paused),
    new GaugeSnapshot("caudex_workers_live", "Workers with a recent heartbeat.", [{ labels: {}, value: workers.length }]),
    new GaugeSnapshot("caudex_workers_busy", "Live workers running at least one job.", [{ labels: {}, value: busy }]),
    ...schedules,
    ...store,
    ...limits,
  ];
}

/** Counters fed by a store subscription that starts at the first scrape and ends when scrapes stop. */
export class ScrapedMetrics {
  metrics = new JobMetrics();
  private unsubscribe: (() => Promise<void>) | null = null;
  private subscribing: Promise<void> | null = null;
  private lastScrape = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: Client,
    private readonly idleMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.timer = setInterval(() => void this.stopIfIdle(), Math.max(50, Math.min(idleMs, 60_000)));
    this.timer.unref();
  }

  /** Whether job events are being counted now. */
  get counting(): boolean {
    return this.unsubscribe !== null;
  }

  /**
   * Notes a scrape; starts counting when nothing is counted yet. A subscription that fails (the
   * store is down) is tried again at the next scrape; this one still gets the gauges' answer.
   */
  async scraped(): Promise<void> {
    this.lastScrape = this.clock.now();
    if (this.unsubscribe !== null || this.closed) return;
    this.subscribing ??= this.client
      .on("*", (event) => this.metrics.observe(event))
      .then(
        async (stop) => {
          // Closed while subscribing: nothing would ever end this subscription.
          if (this.closed) await stop().catch(() => undefined);
          else this.unsubscribe = stop;
        },
        () => undefined,
      )
      .finally(() => {
        this.subscribing = null;
      });
    await this.subscribing;
  }

  /** Ends the subscription after `idleMs` without a scrape; the next scrape starts from zero (a counter reset). */
  async stopIfIdle(now = this.clock.now()): Promise<void> {
    if (this.unsubscribe === null || now - this.lastScrape < this.idleMs) return;
    const stop = this.unsubscribe;
    this.unsubscribe = null;
    this.metrics = new JobMetrics();
    await stop().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.subscribing;
    const stop = this.unsubscribe;
    this.unsubscribe = null;
    await stop?.().catch(() => undefined);
  }
}

/** Registers GET /metrics; job events are counted while scrapes keep coming (see ScrapedMetrics). */
export function registerMetricsRoutes(app: FastifyInstance, deps: { client: Client; workerTtlMs: number; idleMs: number; clock: Clock }): ScrapedMetrics {
  const scraped = new ScrapedMetrics(deps.client, deps.idleMs, deps.clock);
  const processMetrics = new ProcessMetrics();
  app.addHook("onClose", async () => {
    processMetrics.close();
    await scraped.close();
  });
  app.get(
    "/metrics",
    {
      schema: {
        tags: ["monitoring"],
        summary: "Prometheus metrics (text exposition format)",
        produces: ["text/plain"],
        response: { 200: { type: "string", description: "Prometheus text format 0.0.4" }, "4xx": errorRef },
      },
    },
    async (_request, reply) => {
      await scraped.scraped();
      const text = renderMetrics([...scraped.metrics.families(), ...(await gauges(deps.client, deps.workerTtlMs)), ...processMetrics.families()]);
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
    },
  );
  return scraped;
}
