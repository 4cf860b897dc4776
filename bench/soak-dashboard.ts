// The soak's open dashboard tab, a child process of bench/soak.ts: signs in with the read-only
// token (a session cookie, as the browser holds), loads the page, keeps the live stream
// `GET /events` open (resuming with Last-Event-ID, like EventSource) and refreshes the overview
// at the page's pace: its four reads at most once a second while events arrive, every 5 s
// otherwise (src/dashboard/refresh-pacer.ts, shell.ts). From the stream it measures
// enqueue → complete of every job (the two events' store times). Argv: <base url> <read-only token>.
import { percentile } from "./stats.js";

const [baseUrl, readToken] = process.argv.slice(2);
if (baseUrl === undefined || readToken === undefined || process.send === undefined) {
  console.error("usage: (forked) soak-dashboard.ts <base url> <read-only token>");
  process.exit(2);
}

// The page's pacing: a refresh at most this often while events arrive, and this often without.
const EVENT_REFRESH_INTERVAL_MS = 1000;
const EVENT_REFRESH_DELAY_MS = 150;
const TIMER_REFRESH_MS = 5000;
const OVERVIEW_READS = ["/monitoring/health", "/monitoring/queue/stats", "/monitoring/queue/workers", "/dashboard/api/throughput"];
// Jobs whose enqueue was seen and whose completion was not yet: forgotten after this long, so
// the map stays bounded even if a completion event is never seen.
const PENDING_TTL_MS = 120_000;
const MAX_SAMPLES = 20_000;

let cookie = "";
let running = true;
let lastEventId: string | null = null;
let eventsSinceRefresh = 0;
const enqueuedAt = new Map<string, number>();
let interval = { events: 0, completed: 0, refreshes: 0, refreshErrors: 0, reconnects: 0 };
let refreshMs: number[] = [];
let e2eMs: number[] = [];
let lastError = "";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function signIn(): Promise<void> {
  const response = await fetch(`${baseUrl}/dashboard/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: readToken }) });
  await response.arrayBuffer();
  const setCookie = response.headers.get("set-cookie");
  if (response.status !== 200 || setCookie === null) throw new Error(`sign-in answered ${response.status}`);
  cookie = setCookie.split(";")[0] ?? "";
  // What the page loads before it shows the overview.
  for (const path of ["/dashboard/", "/dashboard/session"]) await (await fetch(`${baseUrl}${path}`, { headers: { cookie } })).arrayBuffer();
}

function onEvent(type: string, data: string): void {
  interval.events += 1;
  eventsSinceRefresh += 1;
  let event: { job_id?: string; at?: string };
  try {
    event = JSON.parse(data) as { job_id?: string; at?: string };
  } catch {
    return;
  }
  if (event.job_id === undefined || event.at === undefined) return;
  const at = Date.parse(event.at);
  if (type === "job:enqueued") enqueuedAt.set(event.job_id, at);
  else if (type === "job:completed" || type === "job:failed" || type === "job:canceled") {
    const since = enqueuedAt.get(event.job_id);
    enqueuedAt.delete(event.job_id);
    if (type === "job:completed") interval.completed += 1;
    if (since !== undefined && type === "job:completed" && e2eMs.length < MAX_SAMPLES) e2eMs.push(at - since);
  }
}

/** Reads one stream until it ends; parses SSE messages (id, event, data, blank line). */
async function readStream(): Promise<void> {
  const headers: Record<string, string> = { cookie, accept: "text/event-stream" };
  if (lastEventId !== null) headers["last-event-id"] = lastEventId;
  const response = await fetch(`${baseUrl}/events`, { headers });
  if (response.status !== 200 || response.body === null) throw new Error(`/events answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  let type = "message";
  let data = "";
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (data !== "") onEvent(type, data);
        type = "message";
        data = "";
      } else if (line.startsWith("event: ")) type = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
      else if (line.startsWith("id: ")) lastEventId = line.slice(4);
    }
    if (!running) {
      await reader.cancel();
      return;
    }
  }
}

async function live(): Promise<void> {
  for (let failures = 0; running; ) {
    try {
      await readStream();
      failures = 0;
    } catch (error) {
      lastError = `events: ${error instanceof Error ? error.message : String(error)}`;
      failures += 1;
    }
    if (!running) return;
    interval.reconnects += 1;
    await sleep(Math.min(5000, 250 * 2 ** failures));
  }
}

async function refresh(): Promise<void> {
  const started = performance.now();
  const answers = await Promise.all(
    OVERVIEW_READS.map(async (path) => {
      try {
        const response = await fetch(`${baseUrl}${path}`, { headers: { cookie } });
        await response.arrayBuffer();
        // Health answers 503 when it finds the store down: that is an answer, not an error.
        return response.status === 200 || (path === "/monitoring/health" && response.status === 503);
      } catch (error) {
        lastError = `${path}: ${error instanceof Error ? error.message : String(error)}`;
        return false;
      }
    }),
  );
  interval.refreshes += 1;
  if (answers.some((ok) => !ok)) interval.refreshErrors += 1;
  else if (refreshMs.length < MAX_SAMPLES) refreshMs.push(performance.now() - started);
}

async function overview(): Promise<void> {
  while (running) {
    const started = Date.now();
    eventsSinceRefresh = 0;
    await refresh();
    const due = Math.max(Date.now() + EVENT_REFRESH_DELAY_MS, started + EVENT_REFRESH_INTERVAL_MS);
    while (running && Date.now() < due) await sleep(due - Date.now());
    // Without events since the last refresh, the slow timer decides.
    while (running && eventsSinceRefresh === 0 && Date.now() < started + TIMER_REFRESH_MS) await sleep(50);
  }
}

function forgetOld(): void {
  const cutoff = Date.now() - PENDING_TTL_MS;
  for (const [id, at] of enqueuedAt) {
    if (at >= cutoff) break;
    enqueuedAt.delete(id);
  }
}

await signIn();
const tasks = [live(), overview()];
process.on("message", (message: { type: string }) => {
  if (message.type === "sample") {
    forgetOld();
    process.send?.({
      type: "sample",
      ...interval,
      refreshP99: percentile(refreshMs, 99),
      e2eP50: percentile(e2eMs, 50),
      e2eP99: percentile(e2eMs, 99),
      pending: enqueuedAt.size,
      lastError,
    });
    interval = { events: 0, completed: 0, refreshes: 0, refreshErrors: 0, reconnects: 0 };
    refreshMs = [];
    e2eMs = [];
  } else if (message.type === "stop") {
    running = false;
    process.send?.({ type: "stopped" }, () => process.exit(0));
  }
});
process.send({ type: "ready" });
void Promise.all(tasks);
