// The soak's producer, a child process of bench/soak.ts: enqueues `soak_step` jobs over HTTP
// (`POST /jobs` with the full token) at a steady rate, open loop (each send is due at its own
// time, whether the previous answer came or not), and reports the latencies of each interval
// when the parent asks over IPC. Argv: <base url> <token> <jobs per second>.
import { percentile } from "./stats.js";

const [baseUrl, token, rateText] = process.argv.slice(2);
const rate = Number(rateText);
if (baseUrl === undefined || token === undefined || !(rate > 0) || process.send === undefined) {
  console.error("usage: (forked) soak-producer.ts <base url> <token> <jobs per second>");
  process.exit(2);
}

// More requests than this in flight means the server is not keeping up: further sends are
// counted as dropped instead of piling up without bound.
const MAX_IN_FLIGHT = 64;
// One interval's latencies at most (10 s at 1,000 jobs/s); more would only cost memory.
const MAX_LATENCIES = 10_000;
const intervalMs = 1000 / rate;

let latencies: number[] = [];
let interval = { sent: 0, ok: 0, errors: 0, dropped: 0 };
const totals = { sent: 0, ok: 0, errors: 0, dropped: 0 };
let lastError = "";
let inFlight = 0;
let running = true;
let n = 0;

async function enqueueOne(): Promise<void> {
  const started = performance.now();
  inFlight += 1;
  interval.sent += 1;
  totals.sent += 1;
  try {
    const response = await fetch(`${baseUrl}/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ task: "soak_step", payload: { n: n++, ms: 5 } }),
    });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`HTTP ${response.status}`);
    if (latencies.length < MAX_LATENCIES) latencies.push(performance.now() - started);
    interval.ok += 1;
    totals.ok += 1;
  } catch (error) {
    interval.errors += 1;
    totals.errors += 1;
    lastError = error instanceof Error ? error.message : String(error);
  } finally {
    inFlight -= 1;
  }
}

const inFlightDone = new Set<Promise<void>>();

async function produce(): Promise<void> {
  const start = performance.now();
  for (let i = 0; running; ) {
    // Every send whose time has come goes now: a stalled event loop catches up instead of
    // quietly lowering the rate.
    while (running && start + i * intervalMs <= performance.now()) {
      i += 1;
      if (inFlight >= MAX_IN_FLIGHT) {
        interval.dropped += 1;
        totals.dropped += 1;
        continue;
      }
      const sending = enqueueOne();
      inFlightDone.add(sending);
      void sending.finally(() => inFlightDone.delete(sending));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + i * intervalMs - performance.now())));
  }
}

const production = produce();

process.on("message", (message: { type: string }) => {
  if (message.type === "sample") {
    const sample = { type: "sample", ...interval, p50: percentile(latencies, 50), p99: percentile(latencies, 99), lastError };
    latencies = [];
    interval = { sent: 0, ok: 0, errors: 0, dropped: 0 };
    process.send?.(sample);
  } else if (message.type === "stop") {
    running = false;
    void production
      .then(() => Promise.all(inFlightDone))
      .then(() => process.send?.({ type: "stopped", ...totals, lastError }, () => process.exit(0)));
  }
});
process.send({ type: "ready" });
