// The signed-in page: header with navigation, live status and sign-out; the current view,
// chosen by the URL hash; refreshes driven by live events, a slow timer and reconnects, paced
// by RefreshPacer.
import { ApiError, type Api, type EventView, type SessionView } from "./api.js";
import { confirmAction } from "./confirm.js";
import type { View, ViewContext } from "./context.js";
import { h, replace } from "./dom.js";
import { LiveFeed, type LiveState } from "./live.js";
import { failedView } from "./views/failed.js";
import { jobDetailView } from "./views/job-detail.js";
import { jobsView } from "./views/jobs.js";
import { limitsView } from "./views/limits.js";
import { RefreshPacer } from "./refresh-pacer.js";
import { overviewView } from "./views/overview.js";
import { schedulesView } from "./views/schedules.js";
import { workersView } from "./views/workers.js";

// Heartbeat ages and waiting times move without events.
const TIMER_REFRESH_MS = 5000;
const NAV = [["#/overview", "Overview", "1"], ["#/workers", "Workers", "2"], ["#/jobs", "Jobs", "3"], ["#/failed", "Failed", "4"], ["#/schedules", "Schedules", "5"], ["#/limits", "Limits", "6"]] as const;

/** Runs the signed-in dashboard until the session ends. */
export class Shell {
  private view: View | null = null;
  private readonly pacer: RefreshPacer;
  private readonly main = h("main", { id: "main", tabindex: "-1" });
  private readonly status = h("span", { class: "live live-connecting", role: "status", "data-testid": "live-state" }, "connecting");
  private readonly notices = h("div", { class: "notices", role: "status", "aria-live": "polite" });
  private readonly nav = h("nav", { class: "nav", "aria-label": "Views" }, NAV.map(([href, label, key]) => h("a", { href, "data-nav": href, title: `${label} (${key})` }, label)));
  private readonly feed: LiveFeed;
  private readonly ctx: ViewContext;
  private timer: number | null = null;
  private readonly listeners = new AbortController();

  constructor(
    private readonly root: HTMLElement,
    private readonly api: Api,
    private readonly session: SessionView,
    private readonly onSignedOut: (notice: string) => void,
  ) {
    this.feed = new LiveFeed("/events", { event: (e) => this.onEvent(e), state: (s) => this.onLiveState(s) });
    this.pacer = new RefreshPacer(() => this.refreshNow(), {
      now: () => performance.now(),
      setTimeout: (fn, ms) => window.setTimeout(fn, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    });
    this.ctx = {
      api,
      canAct: session.access === "full",
      notify: (message, kind) => this.notify(message, kind ?? "ok"),
      confirm: confirmAction,
      refreshSoon: () => this.pacer.urgent(),
    };
  }

  /** Draws the page and starts routing, live events and the timer. */
  start(): void {
    const signOut = this.session.auth_required ? h("button", { type: "button", class: "btn btn-small", "data-testid": "sign-out" }, "Sign out") : null;
    signOut?.addEventListener("click", () => void this.signOut());
    const access = this.session.access === "read" ? h("span", { class: "badge read-only", title: "This session can look but not act" }, "read-only") : null;
    const header = h("header", { class: "top" }, h("a", { class: "brand", href: "#/overview" }, h("img", { src: "favicon.svg", alt: "", width: "20", height: "20" }), "Caudex"), this.nav, h("div", { class: "top-right" }, this.status, access, signOut));
    replace(this.root, h("a", { class: "skip", href: "#main" }, "Skip to content"), header, this.main, this.notices);
    window.addEventListener("hashchange", () => this.route(), { signal: this.listeners.signal });
    document.addEventListener("keydown", (event) => this.shortcut(event), { signal: this.listeners.signal });
    this.feed.start();
    this.timer = window.setInterval(() => this.pacer.paced(), TIMER_REFRESH_MS);
    this.route();
  }

  private stop(): void {
    this.listeners.abort();
    this.view = null;
    this.pacer.stop();
    this.feed.stop();
    if (this.timer !== null) window.clearInterval(this.timer);
  }

  private route(): void {
    const [path = "", search = ""] = location.hash.replace(/^#/, "").split("?");
    const params = new URLSearchParams(search);
    const detail = /^\/job\/(.+)$/.exec(path);
    this.view =
      detail !== null ? jobDetailView(this.ctx, decodeURIComponent(detail[1] ?? ""))
      : path === "/workers" ? workersView(this.ctx)
      : path === "/jobs" ? jobsView(this.ctx, params)
      : path === "/failed" ? failedView(this.ctx)
      : path === "/schedules" ? schedulesView(this.ctx)
      : path === "/limits" ? limitsView(this.ctx)
      : overviewView(this.ctx);
    document.title = `${this.view.title} · Caudex`;
    const section = detail !== null ? "#/jobs" : `#${path === "" ? "/overview" : path}`;
    for (const link of Array.from(this.nav.querySelectorAll("a"))) {
      if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    replace(this.main, this.view.root);
    this.pacer.urgent();
  }

  private async refreshNow(): Promise<void> {
    const view = this.view;
    if (view === null) return;
    try {
      await view.refresh();
      view.root.dataset.loaded = "true";
    } catch (error) {
      this.onRefreshError(error);
    }
  }

  private onRefreshError(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) {
      this.stop();
      this.onSignedOut("Your session ended; sign in again.");
      return;
    }
    // While the server is away the live indicator says so; the next refresh catches up.
    if (!(error instanceof ApiError && error.status === 0)) this.notify(error instanceof Error ? error.message : String(error), "error");
  }

  private onEvent(event: EventView): void {
    if (this.view?.concerns?.(event) ?? true) this.pacer.paced();
  }

  private onLiveState(state: LiveState): void {
    const was = this.status.textContent;
    this.status.textContent = state === "live" ? "live" : state === "connecting" ? "reconnecting…" : "offline";
    this.status.className = `live live-${state}`;
    // Events may have been missed while away: redraw from the API once back.
    if (state === "live" && was !== "live") this.pacer.urgent();
  }

  private notify(message: string, kind: "ok" | "error"): void {
    const notice = h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : null }, message);
    this.notices.appendChild(notice);
    window.setTimeout(() => notice.remove(), kind === "error" ? 8000 : 4000);
  }

  private shortcut(event: KeyboardEvent): void {
    const target = event.target as HTMLElement | null;
    if (event.altKey || event.ctrlKey || event.metaKey || target?.closest("input, select, textarea, dialog") != null) return;
    const nav = NAV.find(([, , key]) => key === event.key);
    if (nav !== undefined) location.hash = nav[0];
    if (event.key === "/") {
      event.preventDefault();
      location.hash = "#/jobs";
      window.setTimeout(() => document.querySelector<HTMLInputElement>(".lookup input")?.focus(), 0);
    }
  }

  private async signOut(): Promise<void> {
    try {
      await this.api.call("DELETE", "/dashboard/session");
    } catch (error) {
      this.notify(error instanceof Error ? error.message : String(error), "error");
      return;
    }
    this.stop();
    this.onSignedOut("Signed out.");
  }
}
