// The rows of the report: each figure a scenario returns, its unit, which direction is better,
// and the bar Caudex must clear against BullMQ (a ratio, or an absolute limit).

/** How a figure is judged. */
export interface Metric {
  key: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  digits: number;
  /** Ratio Caudex/BullMQ that must be reached (>= when higher is better, <= otherwise). */
  ratioBar?: number;
  /** Absolute limit on Caudex's median (< when lower is better). */
  absoluteBar?: number;
}

/** Every metric, in table order. */
export const METRICS: readonly Metric[] = [
  { key: "enqueueOne", label: "enqueue one at a time, awaited", unit: "jobs/s", higherIsBetter: true, digits: 0, ratioBar: 1.2 },
  { key: "enqueueBulk", label: "bulk enqueue, chunks of 1,000", unit: "jobs/s", higherIsBetter: true, digits: 0, ratioBar: 1.5 },
  { key: "drainC1", label: "drain, 1 process, concurrency 1", unit: "jobs/s", higherIsBetter: true, digits: 0 },
  { key: "drainC50", label: "drain, 1 process, concurrency 50", unit: "jobs/s", higherIsBetter: true, digits: 0, ratioBar: 2.0 },
  { key: "drain4p", label: "drain, 4 processes x concurrency 50", unit: "jobs/s", higherIsBetter: true, digits: 0, ratioBar: 2.0 },
  { key: "latencyP50", label: "latency enqueue -> start, p50", unit: "ms", higherIsBetter: false, digits: 2, absoluteBar: 2 },
  { key: "latencyP95", label: "latency enqueue -> start, p95", unit: "ms", higherIsBetter: false, digits: 2 },
  { key: "latencyP99", label: "latency enqueue -> start, p99", unit: "ms", higherIsBetter: false, digits: 2, ratioBar: 1.0 },
  { key: "memoryPerJob", label: "Redis memory per waiting job", unit: "B", higherIsBetter: false, digits: 0, ratioBar: 0.6 },
  { key: "commandsPerJob", label: "Redis commands per job (drain c50)", unit: "cmds", higherIsBetter: false, digits: 1 },
  { key: "scriptsPerJob", label: "Redis script calls per job (drain c50)", unit: "calls", higherIsBetter: false, digits: 2 },
  { key: "redisCpuPerJob", label: "Redis CPU per job (drain c50)", unit: "µs", higherIsBetter: false, digits: 1 },
  { key: "workerCpuPerJob", label: "worker CPU per job (drain c50)", unit: "µs", higherIsBetter: false, digits: 1 },
];
