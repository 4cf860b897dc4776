// The bundled example tasks that `caudex dev` runs by default: a long-running "generate the
// wiki for a project" task that reports progress, a quick email task, a task that always
// fails, and a schedule that emails a digest once a day.
import { defineSchedule } from "../core/schedule-definition.js";
import { defineTask } from "../core/task.js";

/** Payload of generate_wiki. */
export interface GenerateWikiPayload {
  projectId: string;
  /** Pages to generate (default 5). */
  pages?: number;
  /** Milliseconds of simulated work per page (default 400). */
  msPerPage?: number;
}

/** Generates a project's wiki page by page, reporting progress; stops early on abort. */
export const generateWiki = defineTask<GenerateWikiPayload, { projectId: string; pages: string[] }>(
  "generate_wiki",
  async (payload, ctx) => {
    const total = payload.pages ?? 5;
    const pages: string[] = [];
    for (let page = 1; page <= total; page++) {
      ctx.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, payload.msPerPage ?? 400));
      pages.push(`/projects/${payload.projectId}/wiki/page-${page}`);
      await ctx.progress({ percent: Math.round((page / total) * 100), step: `page ${page} of ${total}` });
      ctx.log.info("wiki page written", { page, total });
    }
    return { projectId: payload.projectId, pages };
  },
  {
    queue: "default",
    timeoutMs: 10 * 60_000,
    maxAttempts: 3,
    schema: {
      "~standard": {
        version: 1,
        vendor: "caudex-example",
        validate: (value: unknown) => {
          const v = value as Partial<GenerateWikiPayload> | null;
          if (typeof v !== "object" || v === null || typeof v.projectId !== "string" || v.projectId === "") {
            return { issues: [{ message: "projectId must be a non-empty string", path: ["projectId"] }] };
          }
          if (v.pages !== undefined && (!Number.isInteger(v.pages) || v.pages < 1 || v.pages > 1000)) {
            return { issues: [{ message: "pages must be an integer from 1 to 1000", path: ["pages"] }] };
          }
          return { value: v };
        },
      },
    },
  },
);

/** Sends a (pretend) notification email; quick, on the high-priority queue. */
export const sendEmail = defineTask<{ to: string; subject: string }, { sent: true }>(
  "send_email",
  async (payload, ctx) => {
    ctx.log.info("email sent", { to: payload.to, subject: payload.subject });
    return { sent: true };
  },
  { queue: "high", timeoutMs: 30_000 },
);

/** Always fails, to show retries with backoff and the failed-jobs views. */
export const flakyImport = defineTask<{ source?: string }, never>(
  "flaky_import",
  async (payload) => {
    throw new Error(`Import from ${payload.source ?? "upstream"} failed: connection reset`);
  },
  { maxAttempts: 2, backoff: { baseMs: 2000 } },
);

/** Emails the team a digest every morning at 9:00, Paris time (one cheap job a day). */
export const dailyDigest = defineSchedule({
  id: "daily_digest",
  task: "send_email",
  payload: { to: "team@example.com", subject: "Daily digest" },
  cron: "0 9 * * *",
  tz: "Europe/Paris",
  // A machine that was off at 9:00 sends nothing late: tomorrow's digest covers it.
  catchUp: "none",
});
