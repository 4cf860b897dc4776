// GET /metrics after real jobs ran: counters, histograms and gauges, checked by promtool.
import { spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FULL, createTestServer, wrapStore, type TestServer } from "../../../test/support/server.js";
import { waitFor } from "../../../test/support/wait-for.js";
import type { Store } from "../../core/store.js";
import type { Client } from "../../core/client.js";
import { escapeLabel } from "../metrics.js";
import { ScrapedMetrics } from "./metrics.js";

function promtoolAvailable(): boolean {
  return spawnSync("promtool", ["--version"], { encoding: "utf8" }).status === 0;
}

describe("GET /metrics", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const scrape = async () => {
    const res = await server.app.inject({ url: "/metrics", headers: FULL });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain; version=0.0.4");
    return res.body;
  };

  const runJobs = async () => {
    // Counting starts with the first scrape (the store is watched only while someone scrapes).
    await scrape();
    await server.startWorker();
    const post = (task: string) =>
      server.app.inject({ method: "POST", url: "/jobs", headers: FULL, payload: { task, payload: null, max_attempts: 1 } });
    await post("echo");
    await post("echo");
    await post("fail");
    await waitFor(async () => {
      const counts = (await server.client.stats()).find((q) => q.queue === "default")?.counts;
      return counts?.COMPLETED === 2 && counts.FAILED === 1;
    }, { what: "the jobs to finish" });
    await waitFor(async () => (await scrape()).includes('caudex_jobs_failed_total{queue="default",task="fail"} 1'), { what: "the failure to be counted" });
  };

  it("counts jobs by queue and task and records run and wait times", async () => {
    await runJobs();
    const text = await scrape();
    expect(text).toContain('caudex_jobs_enqueued_total{queue="default",task="echo"} 2');
    expect(text).toContain('caudex_jobs_completed_total{queue="default",task="echo"} 2');
    expect(text).toContain('caudex_job_run_seconds_count{queue="default",task="echo"} 2');
    expect(text).toContain('caudex_job_wait_seconds_bucket{queue="default",task="fail",le="+Inf"} 1');
    expect(text).toContain('caudex_jobs{queue="default",status="COMPLETED"} 2');
    expect(text).toContain("caudex_workers_live 1");
  });

  it("counts schedules: stored, paused, and overdue when nothing fires them", async () => {
    let late = false;
    const lateStore = (store: Store): Store => wrapStore(store, { now: async () => (await store.now()) + (late ? 3600_000 : 0) });
    const skewed = await createTestServer({ wrapStore: lateStore });
    try {
      for (const id of ["a", "b", "c"]) await skewed.client.schedules.upsert({ id, task: "echo", every: "1m" });
      await skewed.client.schedules.pause("c");
      late = true;
      const text = (await skewed.app.inject({ url: "/metrics", headers: FULL })).body;
      expect(text).toContain("caudex_schedules 3\n");
      expect(text).toContain("caudex_schedules_paused 1\n");
      expect(text).toContain("caudex_schedules_overdue 2\n");
    } finally {
      await skewed.close();
    }
  });

  it("sums limits per name, never per key: running, waiting and keys at their limit", async () => {
    await server.client.limits.set("per-project", null, { concurrency: 1 });
    for (const key of ["a", "a", "a", "b"]) await server.client.enqueue("echo", null, { limitKeys: { "per-project": key } });
    await server.store.claim({ queues: ["default"], worker: "w", incarnation: "i", limit: 10, leaseMs: 30_000 });
    const text = await scrape();
    expect(text).toContain('caudex_limit_keys{limit="per-project"} 2\n');
    expect(text).toContain('caudex_limit_running{limit="per-project"} 2\n');
    expect(text).toContain('caudex_limit_waiting{limit="per-project"} 2\n');
    expect(text).toContain('caudex_limit_keys_at_limit{limit="per-project"} 2\n');
    expect(text).toContain("caudex_limit_keys_truncated 0\n");
    expect(text).not.toMatch(/^caudex_limit_\w+\{[^}]*key=/m);
    if (promtoolAvailable()) expect(spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" }).status).toBe(0);
  });

  it("reports the process metrics of Node.js dashboards beside the job metrics", async () => {
    const text = await scrape();
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_cpu_seconds_total",
      "process_start_time_seconds",
      "process_resident_memory_bytes",
      "process_open_fds",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_active_resources",
      "nodejs_gc_duration_seconds",
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
    }
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old"\} \d+/m);
    expect(text).toContain(`nodejs_version_info{version="${process.version}"`);
  });

  it("passes promtool check metrics", async () => {
    await runJobs();
    const text = await scrape();
    if (!promtoolAvailable()) {
      // CI must prove the format; a developer machine without promtool may skip.
      expect(process.env.CI, "promtool is required in CI (Debian package prometheus)").not.toBe("true");
      return;
    }
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
    expect(check.status).toBe(0);
  });

  it("watches the store only from the first scrape until scrapes stop, then starts again from zero", async () => {
    await server.close();
    let active = 0;
    let started = 0;
    server = await createTestServer({
      deps: { metricsIdleMs: 200 },
      wrapStore: (store) =>
        wrapStore(store, {
          watch: async (...args: Parameters<Store["watch"]>) => {
            started += 1;
            active += 1;
            const stop = await store.watch(...args);
            return async () => {
              active -= 1;
              await stop();
            };
          },
        }),
    });
    expect(started).toBe(0);
    await runJobs();
    expect(active).toBe(1);
    expect(await scrape()).toContain('caudex_jobs_completed_total{queue="default",task="echo"} 2');
    await waitFor(() => active === 0, { what: "the subscription to end once scrapes stop" });
    const fresh = await scrape();
    expect(active).toBe(1);
    expect(started).toBe(2);
    expect(fresh).not.toContain("caudex_jobs_completed_total{");
    expect(fresh).toContain('caudex_jobs{queue="default",status="COMPLETED"} 2');
  });

  it("ends a subscription that was still being made when the server closed", async () => {
    let stopped = 0;
    let answer: (stop: () => Promise<void>) => void = () => undefined;
    const slow = { on: () => new Promise<() => Promise<void>>((resolve) => (answer = resolve)) } as unknown as Client;
    const scraped = new ScrapedMetrics(slow, 60_000);
    const first = scraped.scraped();
    const closing = scraped.close();
    answer(async () => {
      stopped += 1;
    });
    await Promise.all([first, closing]);
    expect(stopped).toBe(1);
    expect(scraped.counting).toBe(false);
    await scraped.scraped();
    expect(scraped.counting).toBe(false);
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
