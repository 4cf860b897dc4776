// Every `caudex` command, in the order --help lists them.
import type { Command } from "./command.js";
import { batchCommand } from "./commands/batch.js";
import { cancelCommand } from "./commands/cancel.js";
import { completionCommand } from "./commands/completion.js";
import { dashboardCommand } from "./commands/dashboard.js";
import { devCommand } from "./commands/dev.js";
import { enqueueCommand } from "./commands/enqueue.js";
import { failedCommand } from "./commands/failed.js";
import { healthCommand } from "./commands/health.js";
import { jobCommand } from "./commands/job.js";
import { jobsCommand } from "./commands/jobs.js";
import { limitsCommand } from "./commands/limits.js";
import { pauseCommand } from "./commands/pause.js";
import { purgeCommand } from "./commands/purge.js";
import { resumeCommand } from "./commands/resume.js";
import { retryCommand } from "./commands/retry.js";
import { schedulesCommand } from "./commands/schedules.js";
import { serveCommand } from "./commands/serve.js";
import { statsCommand } from "./commands/stats.js";
import { treeCommand } from "./commands/tree.js";
import { whyCommand } from "./commands/why.js";
import { workerCommand } from "./commands/worker.js";
import { workersCommand } from "./commands/workers.js";

/** The commands of the `caudex` binary. */
export const COMMANDS: readonly Command[] = [
  devCommand,
  serveCommand,
  dashboardCommand,
  workerCommand,
  enqueueCommand,
  jobCommand,
  whyCommand,
  jobsCommand,
  treeCommand,
  batchCommand,
  statsCommand,
  workersCommand,
  failedCommand,
  retryCommand,
  cancelCommand,
  pauseCommand,
  resumeCommand,
  schedulesCommand,
  limitsCommand,
  purgeCommand,
  healthCommand,
  completionCommand(() => COMMANDS),
];
