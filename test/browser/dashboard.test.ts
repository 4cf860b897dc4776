// The dashboard in real headless Chromium against a real server, SQLite store and worker:
// a signed-out load that logs no error, sign-in, live updates, actions, text-only rendering, read-only sessions, CSRF, reconnects,
// and a screenshot of every view: into a temporary folder, or into docs/screenshots (the
// README's pictures) with UPDATE_SCREENSHOTS=1, so that a test run leaves the tree as it was.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_REFRESH_INTERVAL_MS } from "../../src/dashboard/refresh-pacer.js";
import { waitFor } from "../support/wait-for.js";
import { CHROMIUM_PATH, DashboardStack, FULL_TOKEN, READ_TOKEN, launchChromium, openGate } from "./dashboard-stack.js";

const KEEP_SHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const DOCS_SHOTS = "docs/screenshots";
let SHOTS = DOCS_SHOTS;
const XSS = `<img src=x onerror="window.__xss=1">`;
// Under CI the browser must be there: a missing Chromium fails the run instead of skipping it.
const runnable = existsSync(CHROMIUM_PATH) || process.env.CI === "true";

describe.skipIf(!runnable)("dashboard in a real browser", () => {
  let stack: DashboardStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  async function signIn(target: Page, token: string): Promise<void> {
    await target.goto(`${stack.url}/dashboard/`);
    await target.fill("#token", token);
    await target.click("form.sign-in button[type=submit]");
  }

  async function show(target: Page, hash: string): Promise<void> {
    await target.evaluate((h) => (location.hash = h), hash);
    await target.locator("main section[data-loaded=true]").waitFor();
  }

  const jobStatus = async (id: string): Promise<string> => (await stack.api<{ status: string }>("GET", `/jobs/${id}`)).body.status;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}; CI=true requires the browser tests`);
    if (KEEP_SHOTS) mkdirSync(SHOTS, { recursive: true });
    else SHOTS = mkdtempSync(join(tmpdir(), "caudex-shots-"));
    [stack, browser] = await Promise.all([DashboardStack.start(), launchChromium()]);
    await stack.startWorker("worker-1", ["high", "default", "reports"]);
    context = await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: "light" });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    // Only the temporary folder: a beforeAll that failed early (no browser) never made one.
    if (SHOTS !== DOCS_SHOTS) rmSync(SHOTS, { recursive: true, force: true });
  });

  it("loads the signed-out page without a console error or a failed request", async () => {
    const fresh = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    try {
      const view = await fresh.newPage();
      const problems: string[] = [];
      view.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      view.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      view.on("requestfailed", (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ""}`));
      view.on("response", (response) => {
        if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
      });
      await view.goto(`${stack.url}/dashboard/`, { waitUntil: "networkidle" });
      await view.locator("#token").waitFor();
      expect(problems).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it("refuses a wrong token, then signs in with an HttpOnly, SameSite=Strict cookie and shows the overview", async () => {
    await signIn(page, "not-the-token");
    await page.locator("[data-testid=sign-in-error]", { hasText: "not valid" }).waitFor();
    await page.screenshot({ path: `${SHOTS}/sign-in.png` });
    await page.fill("#token", FULL_TOKEN);
    await page.click("form.sign-in button[type=submit]");
    await page.locator("[data-card=health] .card-value").waitFor();
    expect(page.url()).not.toContain(FULL_TOKEN);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "caudex_session", httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookie?.value).not.toContain(FULL_TOKEN);
    const response = await page.request.get(`${stack.url}/dashboard/`);
    expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
  });

  it("shows a job enqueued through the API and turns it COMPLETED live, without a reload", async () => {
    await show(page, "#/jobs");
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
    const id = await stack.enqueue("gated", { key: "live" });
    await page.locator(`tr[data-job="${id}"]`).waitFor({ timeout: 3000 });
    await waitFor(() => openGate("live"), { what: "the job to start" });
    // Live refreshes are paced (one per EVENT_REFRESH_INTERVAL_MS): the completion shows at the next one.
    await page.locator(`tr[data-job="${id}"][data-status=COMPLETED]`).waitFor({ timeout: EVENT_REFRESH_INTERVAL_MS + 3000 });
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
  });

  it("retries a failed job from the Failed page", async () => {
    const id = await stack.enqueue("fail_once", { invoice: 17 }, { max_attempts: 1 });
    await waitFor(async () => (await jobStatus(id)) === "FAILED", { what: "the job to fail" });
    await show(page, "#/failed");
    await page.click('[data-group="TASK_ERROR"] summary');
    await page.click(`tr[data-job="${id}"] button[data-action=retry]`);
    await waitFor(async () => (await jobStatus(id)) === "COMPLETED", { what: "the retried job to complete" });
    await page.locator(`tr[data-job="${id}"]`).waitFor({ state: "detached" });
    // The retry restarted the attempt count; the job's page still tells it was retried.
    await show(page, `#/job/${id}`);
    expect(await page.locator('dl.facts dt:text-is("Attempt") + dd').textContent()).toBe("1 of 1");
    expect(await page.locator('dl.facts dt:text-is("Retried") + dd').textContent()).toBe("1×");
  });

  it("shows a hostile payload as text and never runs it", async () => {
    const id = await stack.enqueue("echo", XSS, { meta: { project_id: XSS } });
    await waitFor(async () => (await jobStatus(id)) === "COMPLETED");
    await show(page, `#/job/${id}`);
    // JSON shown as written: the string with its quotes, not markup.
    expect(await page.locator("[data-testid=payload]").textContent()).toBe(JSON.stringify(XSS));
    expect(await page.locator("[data-testid=meta]").textContent()).toContain(XSS.replaceAll('"', '\\"'));
    await show(page, "#/jobs");
    await page.locator(`tr[data-job="${id}"]`, { hasText: XSS }).waitFor();
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it("refuses an action that lacks the CSRF token with 403 CSRF_REJECTED", async () => {
    const answers = await page.evaluate(async () => {
      const session = (await (await fetch("/dashboard/session")).json()) as { csrf_token: string };
      const pause = (headers: Record<string, string>) => fetch("/queues/reports/pause", { method: "POST", headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
      return { none: await pause({}), wrong: await pause({ "x-csrf-token": "forged" }), right: await pause({ "x-csrf-token": session.csrf_token }) };
    });
    expect(answers.none).toEqual({ status: 403, body: { error: { code: "CSRF_REJECTED", message: expect.any(String) as string } } });
    expect(answers.wrong.status).toBe(403);
    expect(answers.right).toEqual({ status: 200, body: { queue: "reports", paused: true } });
    await stack.api("POST", "/queues/reports/resume");
  });

  it("lists a schedule, pauses it, and triggers a job that links back to it", async () => {
    const put = await stack.api("PUT", "/schedules/morning-digest", { task: "echo", payload: { value: "digest" }, cron: "0 9 * * *", tz: "Europe/Paris" });
    expect(put.status).toBe(201);
    await show(page, "#/schedules");
    const row = page.locator('tr[data-schedule="morning-digest"]');
    await row.filter({ hasText: "0 9 * * * (Europe/Paris)" }).waitFor();
    await row.locator("button[data-action=pause]").click();
    await page.locator('tr[data-schedule="morning-digest"][data-paused=true]').waitFor();
    await row.locator("button[data-action=resume]").click();
    await page.locator('tr[data-schedule="morning-digest"][data-paused=false]').waitFor();
    // Remove asks first; backing out keeps the schedule.
    await row.locator("button[data-action=remove]").click();
    await page.click("[data-testid=confirm-cancel]");
    expect((await stack.api("GET", "/schedules/morning-digest")).status).toBe(200);

    await row.locator("button[data-action=trigger]").click();
    const link = row.locator("[data-testid=last-job] a");
    await link.waitFor();
    const jobId = (await link.textContent()) ?? "";
    await waitFor(async () => (await jobStatus(jobId)) === "COMPLETED", { what: "the triggered job to complete" });
    await row.locator("[data-testid=last-job] .status-completed").waitFor();
    await link.click();
    await page.locator("main section[data-loaded=true] [data-testid=job-schedule]", { hasText: "morning-digest" }).waitFor();
    expect(page.url()).toContain(`#/job/${jobId}`);
    await page.click('[data-testid=job-schedule] a:text-is("morning-digest")');
    await page.locator('main section[data-loaded=true] tr[data-schedule="morning-digest"]').waitFor();
  });

  it("shows a key at its limit first, says on a held job's page why it waits, and lets an operator change and clear the key's limits", async () => {
    expect((await stack.api("PUT", "/limits/per-project/p-7", { concurrency: 1 })).status).toBe(200);
    const running = await stack.enqueue("gated", { key: "limited" }, { limit_keys: { "per-project": "p-7" } });
    const held = await stack.enqueue("echo", { value: "held" }, { limit_keys: { "per-project": "p-7" } });
    await stack.enqueue("echo", { value: "free" }, { limit_keys: { "per-project": "p-8" } });
    await waitFor(async () => (await jobStatus(running)) === "PROCESSING", { what: "the first job of the key to start" });
    await show(page, `#/job/${held}`);
    await page.locator("[data-testid=held-by]", { hasText: "limited by per-project, key p-7: 1 of 1 running" }).waitFor();
    expect(await page.locator("[data-testid=job-limits]").textContent()).toBe("per-project=p-7");
    expect(await jobStatus(held)).toBe("QUEUED");

    await show(page, "#/limits");
    const row = page.locator('tr[data-limit="per-project"][data-key="p-7"]');
    await page.locator('tr[data-limit="per-project"][data-key="p-7"][data-at-limit=true]').waitFor();
    // Keys at their limit come first.
    expect(await page.locator("table.data tbody tr").first().getAttribute("data-key")).toBe("p-7");
    expect(await row.locator("td").nth(2).textContent()).toBe("1 / 1");
    expect(await row.locator("td").nth(3).textContent()).toBe("1");
    await page.screenshot({ path: `${SHOTS}/limits.png`, fullPage: true });

    await row.locator("button[data-action=change]").click();
    const form = page.locator("[data-testid=limit-form]");
    await form.locator("input[name=concurrency]").fill("2");
    await form.locator("input[name=burst]").fill("3");
    await form.locator("[data-testid=limit-save]").click();
    await form.locator("[data-testid=limit-form-problem]", { hasText: "A burst needs a rate." }).waitFor();
    await form.locator("input[name=burst]").fill("");
    await form.locator("[data-testid=limit-save]").click();
    await waitFor(async () => (await jobStatus(held)) === "COMPLETED", { what: "the held job to run once the key allows two" });
    expect((await stack.api("GET", "/limits/per-project/p-7")).body).toMatchObject({ concurrency: 2, running: 1 });
    await page.locator('tr[data-limit="per-project"][data-key="p-7"][data-at-limit=false]').waitFor();

    await row.locator("button[data-action=clear]").click();
    await page.click("[data-testid=confirm-accept]");
    await waitFor(async () => (await stack.api<{ concurrency: number | null }>("GET", "/limits/per-project/p-7")).body.concurrency === null, { what: "the override to be cleared" });
    openGate("limited");
  });

  it("says on a waiting job's page why it waits, and drops the panel once a worker runs it", async () => {
    const id = await stack.enqueue("echo", { value: "unserved" }, { queue: "unserved" });
    await show(page, `#/job/${id}`);
    const reason = page.locator('[data-testid=why-reasons] li[data-code="NO_WORKER_FOR_QUEUE"]');
    await reason.waitFor();
    expect(await reason.locator(".why-message").textContent()).toContain("No live worker listens on queue unserved (live workers listen on ");
    expect(await page.locator("[data-testid=why-reasons] li").last().getAttribute("data-code")).toBe("QUEUE_POSITION");
    await stack.startWorker("worker-unserved", ["unserved"]);
    await page.locator("[data-testid=job-status] .status-completed").waitFor();
    await page.locator("[data-testid=why-panel]").waitFor({ state: "detached" });
  });

  it("shows a batch's progress and its tree on the callback's page, live, with links between its jobs", async () => {
    const { status, body } = await stack.api<{ batch: { batch_id: string }; jobs: Array<{ job_id: string }> }>("POST", "/batches", {
      jobs: [{ task: "echo", payload: { value: 1 } }, { task: "gated", payload: { key: "batch" } }, { task: "echo", payload: { value: 3 } }],
      callback: { task: "echo", payload: { value: "all done" } },
    });
    expect(status).toBe(201);
    const id = body.batch.batch_id;
    const gated = body.jobs[1]?.job_id ?? "";
    await show(page, `#/job/${id}`);
    await page.locator("[data-testid=job-status] .status-deferred").waitFor();
    await page.locator("[data-testid=dependency-summary]", { hasText: "2 of 3 final" }).waitFor();
    expect(await page.locator("[data-testid=dependency-progress] [data-count=waiting]").textContent()).toBe("1 waiting");
    expect(await page.locator("[data-testid=dependency-progress] .dep-bar .dep-completed").count()).toBe(1);
    const tree = page.locator("[data-testid=flow-tree]");
    await tree.locator(`li[data-job="${gated}"][data-status=PROCESSING]`).waitFor();
    expect(await tree.locator("li[data-job]").count()).toBe(4);
    expect(await tree.locator(`li[data-job="${id}"] > ul > li`).count()).toBe(3);
    expect(await page.locator("[data-testid=depends-on] a").count()).toBe(3);
    await page.screenshot({ path: `${SHOTS}/batch.png`, fullPage: true });

    await waitFor(() => openGate("batch"), { what: "the gated member to start" });
    await page.locator("[data-testid=dependency-summary]", { hasText: "3 of 3 final" }).waitFor();
    await page.locator("[data-testid=job-status] .status-completed").waitFor();
    await tree.locator(`li[data-job="${id}"][data-status=COMPLETED]`).waitFor();

    await tree.locator(`li[data-job="${gated}"] a`).first().click();
    await page.locator("main section[data-loaded=true] [data-testid=parent] a", { hasText: id }).waitFor();
    expect(await page.locator("[data-testid=flow] a").textContent()).toBe(id);
    expect(await page.locator("[data-testid=dependency-progress]").count()).toBe(0);
    await show(page, "#/jobs?status=DEFERRED");
    expect(await page.locator('select[name=status] option[value="DEFERRED"]').getAttribute("selected")).not.toBeNull();
  });

  it("takes a screenshot of every view", async () => {
    await stack.startWorker("worker-2", ["reports"], 1);
    for (let i = 0; i < 6; i++) await stack.enqueue("echo", { value: i }, { queue: i % 2 === 0 ? "high" : "default", meta: { project_id: `proj-${i % 3}`, user_id: "u-17" } });
    const failed = await stack.enqueue("charge_card", { order: 991, amount_cents: 4200 }, { max_attempts: 1, meta: { project_id: "proj-1", user_id: "u-42" } });
    await stack.enqueue("charge_card", { order: 992, amount_cents: 1300 }, { max_attempts: 1 });
    await stack.enqueue("resize_image", { width: 640 }, { queue: "reports" });
    await stack.enqueue("gated", { key: "shot" }, { queue: "reports" });
    await stack.enqueue("echo", { value: "later" }, { queue: "reports", delay: 3600 });
    await waitFor(async () => (await jobStatus(failed)) === "FAILED");
    await waitFor(async () => (await stack.api<{ workers: Array<{ current_job_ids: string[] }> }>("GET", "/monitoring/queue/workers")).body.workers.some((w) => w.current_job_ids.length > 0));
    await stack.api("POST", "/queues/default/pause");
    for (const [hash, name] of [["#/overview", "overview"], ["#/workers", "workers"], ["#/jobs", "jobs"], [`#/job/${failed}`, "job-detail"], ["#/failed", "failed"], ["#/schedules", "schedules"]] as const) {
      await show(page, hash);
      if (name === "failed") await page.click('[data-group="TASK_ERROR"] summary');
      await page.evaluate(() => document.querySelectorAll(".notice").forEach((notice) => notice.remove()));
      await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
    }
    expect(await page.locator("[data-testid=error-stack]").count()).toBe(0);
    await show(page, `#/job/${failed}`);
    expect(await page.locator("[data-testid=error-stack]").textContent()).toContain("card declined");
    await stack.api("POST", "/queues/default/resume");
    openGate("shot");
  });

  it("shows no action buttons to a read-only session, and the server refuses its writes", async () => {
    const reader = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    try {
      const view = await reader.newPage();
      await signIn(view, READ_TOKEN);
      await view.locator(".badge.read-only").waitFor();
      for (const hash of ["#/overview", "#/workers", "#/jobs", "#/failed", "#/schedules", "#/limits"]) {
        await show(view, hash);
        await view.locator("main tr, main .empty").first().waitFor({ state: "attached" });
        expect(await view.locator("main button[data-action]").count(), hash).toBe(0);
        expect(await view.locator("main button", { hasText: /Retry|Cancel|Delete|Pause|Resume|Trigger|Remove|Change|Clear/ }).count(), hash).toBe(0);
      }
      const status = await view.evaluate(async () => {
        const session = (await (await fetch("/dashboard/session")).json()) as { csrf_token: string };
        return (await fetch("/queues/default/pause", { method: "POST", headers: { "x-csrf-token": session.csrf_token } })).status;
      });
      expect(status).toBe(403);
    } finally {
      await reader.close();
    }
  });

  it("reconnects by itself after the server restarts and stays live", async () => {
    await show(page, "#/jobs");
    const live = page.locator("[data-testid=live-state]");
    await live.filter({ hasText: /^live$/ }).waitFor();
    await stack.app.close();
    await live.filter({ hasNotText: /^live$/ }).waitFor();
    await stack.listen(stack.port);
    await live.filter({ hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    const id = await stack.enqueue("gated", { key: "after-restart" });
    await waitFor(() => openGate("after-restart"), { what: "the job to start" });
    await page.locator(`tr[data-job="${id}"][data-status=COMPLETED]`).waitFor({ timeout: 3000 });
  });
});
