// The process metrics operators expect beside the job metrics, under prom-client's default
// names (process_*, nodejs_*), so existing Node.js dashboards and alerts work unchanged: CPU,
// memory, file descriptors, event-loop delay, heap spaces, active resources, GC and version.
// Read at scrape time, except the event-loop delay and GC durations, observed all along. Unlike
// prom-client, no gauge ends in _total (promtool refuses that): sum nodejs_active_resources instead.
import { readFileSync, readdirSync } from "node:fs";
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { escapeLabel, Histogram, type MetricFamily } from "./metrics.js";

type Sample = { labels?: Record<string, string>; value: number };

/** One family of samples read at scrape time, as a counter or a gauge. */
class Snapshot implements MetricFamily {
  constructor(
    private readonly name: string,
    private readonly type: "counter" | "gauge",
    private readonly help: string,
    private readonly samples: readonly Sample[],
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.samples) {
      const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${this.name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${Number.isFinite(value) ? value : 0}`);
    }
    return lines.join("\n");
  }
}

const GC_KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };
const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/** Bytes from a /proc/self/status line such as "VmRSS:   1234 kB" (Linux only; null elsewhere). */
function statusBytes(status: string | null, field: string): number | null {
  const match = status === null ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match?.[1] === undefined ? null : Number(match[1]) * 1024;
}

function readOrNull(read: () => string): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** Observes this process for GET /metrics; `close()` stops the observers. */
export class ProcessMetrics {
  private readonly loopDelay: IntervalHistogram;
  private readonly gc = new Histogram("nodejs_gc_duration_seconds", "Garbage collection duration by kind, one of major, minor, incremental or weakcb.", [0.001, 0.01, 0.1, 1, 2, 5]);
  private readonly observer: PerformanceObserver;

  constructor() {
    // 10 ms resolution, as prom-client's: finer costs timer wake-ups for no operator benefit.
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.gc.observe({ kind: GC_KINDS[kind] ?? "unknown" }, entry.duration / 1000);
      }
    });
    this.observer.observe({ entryTypes: ["gc"] });
  }

  close(): void {
    this.loopDelay.disable();
    this.observer.disconnect();
  }

  /** The families as of now. */
  families(): MetricFamily[] {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const heap = getHeapStatistics();
    const status = readOrNull(() => readFileSync("/proc/self/status", "utf8"));
    const fds = readOrNull(() => String(readdirSync("/proc/self/fd").length - 1));
    const limits = readOrNull(() => readFileSync("/proc/self/limits", "utf8"));
    const maxFds = limits === null ? null : /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    const delay = this.loopDelay;
    const seconds = (ns: number): number => ns / 1e9;
    const resources = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) resources.set(type, (resources.get(type) ?? 0) + 1);
    const [major = "0", minor = "0", patch = "0"] = process.versions.node.split(".");
    const families: MetricFamily[] = [
      new Snapshot("process_cpu_user_seconds_total", "counter", "Total user CPU time spent in seconds.", [{ value: cpu.user / 1e6 }]),
      new Snapshot("process_cpu_system_seconds_total", "counter", "Total system CPU time spent in seconds.", [{ value: cpu.system / 1e6 }]),
      new Snapshot("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [{ value: (cpu.user + cpu.system) / 1e6 }]),
      new Snapshot("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", [{ value: START_TIME_SECONDS }]),
      new Snapshot("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [{ value: memory.rss }]),
    ];
    const virtual = statusBytes(status, "VmSize");
    if (virtual !== null) families.push(new Snapshot("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", [{ value: virtual }]));
    const data = statusBytes(status, "VmData");
    if (data !== null) families.push(new Snapshot("process_heap_bytes", "gauge", "Process heap size in bytes.", [{ value: data }]));
    if (fds !== null) families.push(new Snapshot("process_open_fds", "gauge", "Number of open file descriptors.", [{ value: Number(fds) }]));
    if (maxFds !== null && maxFds !== undefined) families.push(new Snapshot("process_max_fds", "gauge", "Maximum number of open file descriptors.", [{ value: Number(maxFds) }]));
    families.push(
      new Snapshot("nodejs_eventloop_lag_seconds", "gauge", "Mean event loop delay in seconds since the process started.", [{ value: seconds(delay.mean) }]),
      new Snapshot("nodejs_eventloop_lag_min_seconds", "gauge", "The minimum recorded event loop delay.", [{ value: seconds(delay.min) }]),
      new Snapshot("nodejs_eventloop_lag_max_seconds", "gauge", "The maximum recorded event loop delay.", [{ value: seconds(delay.max) }]),
      new Snapshot("nodejs_eventloop_lag_mean_seconds", "gauge", "The mean of the recorded event loop delays.", [{ value: seconds(delay.mean) }]),
      new Snapshot("nodejs_eventloop_lag_stddev_seconds", "gauge", "The standard deviation of the recorded event loop delays.", [{ value: seconds(delay.stddev) }]),
      new Snapshot("nodejs_eventloop_lag_p50_seconds", "gauge", "The 50th percentile of the recorded event loop delays.", [{ value: seconds(delay.percentile(50)) }]),
      new Snapshot("nodejs_eventloop_lag_p90_seconds", "gauge", "The 90th percentile of the recorded event loop delays.", [{ value: seconds(delay.percentile(90)) }]),
      new Snapshot("nodejs_eventloop_lag_p99_seconds", "gauge", "The 99th percentile of the recorded event loop delays.", [{ value: seconds(delay.percentile(99)) }]),
      new Snapshot("nodejs_active_resources", "gauge", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.", [...resources].map(([type, value]) => ({ labels: { type }, value }))),
      new Snapshot("nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes.", [{ value: memory.heapTotal }]),
      new Snapshot("nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes.", [{ value: memory.heapUsed }]),
      new Snapshot("nodejs_external_memory_bytes", "gauge", "Node.js external memory size in bytes.", [{ value: memory.external }]),
      new Snapshot("nodejs_heap_size_limit_bytes", "gauge", "The heap size limit of the V8 engine in bytes.", [{ value: heap.heap_size_limit }]),
    );
    const spaces = getHeapSpaceStatistics().map((s) => ({ space: s.space_name.replace(/_space$/, ""), s }));
    families.push(
      new Snapshot("nodejs_heap_space_size_total_bytes", "gauge", "Process heap space size total from Node.js in bytes.", spaces.map(({ space, s }) => ({ labels: { space }, value: s.space_size }))),
      new Snapshot("nodejs_heap_space_size_used_bytes", "gauge", "Process heap space size used from Node.js in bytes.", spaces.map(({ space, s }) => ({ labels: { space }, value: s.space_used_size }))),
      new Snapshot("nodejs_heap_space_size_available_bytes", "gauge", "Process heap space size available from Node.js in bytes.", spaces.map(({ space, s }) => ({ labels: { space }, value: s.space_available_size }))),
      new Snapshot("nodejs_version_info", "gauge", "Node.js version info.", [{ labels: { version: process.version, major, minor, patch }, value: 1 }]),
      this.gc,
    );
    return families;
  }
}
