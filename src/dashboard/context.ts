// What every view receives from the shell (API, rights, notices, navigation) and what a view
// gives back (its element, a refresh, and which live events concern it).
import type { Api, EventView } from "./api.js";

/** Services the shell offers to views. */
export interface ViewContext {
  api: Api;
  /** False for read-only sessions: views then render no action at all. */
  canAct: boolean;
  /** Shows a short notice. */
  notify(message: string, kind?: "ok" | "error"): void;
  /** Asks before a destructive action; resolves true when confirmed. */
  confirm(question: string, detail: string, action: string): Promise<boolean>;
  /** Asks the current view to refresh soon. */
  refreshSoon(): void;
}

/** One page of the dashboard. */
export interface View {
  title: string;
  root: HTMLElement;
  /** Fetches and redraws the data; the view's controls keep their state. */
  refresh(): Promise<void>;
  /** True when a live event changes what the view shows (default: every event). */
  concerns?(event: EventView): boolean;
}

/** Reports a failed call as a notice instead of an unhandled rejection. */
export function reportFailure(ctx: ViewContext, what: string): (error: unknown) => void {
  return (error) => ctx.notify(`${what}: ${error instanceof Error ? error.message : String(error)}`, "error");
}
