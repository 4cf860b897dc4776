// `caudex enqueue`: stores one job (optionally waiting for its outcome), or one job per line
// of a JSON Lines file, in atomic batches.
import { accessSync, constants, createReadStream, readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "../../core/client.js";
import type { EnqueueOptions } from "../../core/enqueue-options.js";
import { DEPENDENCY_FAILURE_POLICIES, type DependencyFailurePolicy, type Job, type Json } from "../../core/job.js";
import { isFinal } from "../../core/job-states.js";
import { jobView } from "../../server/views.js";
import { limitKeyProblems } from "../../core/limits.js";
import { CliError, ExitCode, UsageError, flag, intOption, stringOption, stringsOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../compose.js";
import { parseDurationMs } from "../duration.js";
import { progressPercent, renderJob } from "../job-view.js";
import { loadTaskModule } from "../task-module.js";

// One store transaction per batch: big enough to be fast, small enough not to hold the store,
// and well under enqueueMany's 64 MiB of payloads (lines are measured as read).
const BATCH = 500;
const BATCH_BYTES = 32 * 1024 * 1024;
const POLL_MAX_MS = 250;

function enqueueOptions(ctx: CommandContext): EnqueueOptions {
  const options: EnqueueOptions = {};
  const queue = stringOption(ctx, "queue");
  const timeout = stringOption(ctx, "timeout");
  const delay = stringOption(ctx, "delay");
  const key = stringOption(ctx, "idempotency-key");
  const attempts = intOption(ctx, "max-attempts");
  if (queue !== undefined) options.queue = queue;
  if (timeout !== undefined) options.timeoutMs = parseDurationMs(timeout, "--timeout", "enqueue");
  if (delay !== undefined) options.delayMs = parseDurationMs(delay, "--delay", "enqueue");
  if (key !== undefined) options.idempotencyKey = key;
  if (attempts !== undefined) options.maxAttempts = attempts;
  const dependsOn = dependsOnOption(ctx);
  if (dependsOn !== undefined) options.dependsOn = dependsOn;
  const limitKeys = limitKeysOption(ctx);
  if (limitKeys !== undefined) options.limitKeys = limitKeys;
  const policy = stringOption(ctx, "on-dependency-failure");
  if (policy !== undefined) {
    if (!(DEPENDENCY_FAILURE_POLICIES as readonly string[]).includes(policy))
      throw new UsageError(`--on-dependency-failure must be one of ${DEPENDENCY_FAILURE_POLICIES.join(", ")} (got "${policy}")`, "enqueue");
    if (dependsOn === undefined) throw new UsageError("--on-dependency-failure needs --depends-on", "enqueue");
    options.onDependencyFailure = policy as DependencyFailurePolicy;
  }
  return options;
}

/** The job ids of --depends-on (comma-separated), or undefined without the option. */
function dependsOnOption(ctx: CommandContext): string[] | undefined {
  const text = stringOption(ctx, "depends-on");
  if (text === undefined) return undefined;
  const ids = text.split(",").map((id) => id.trim());
  if (ids.some((id) => id === "")) throw new UsageError(`--depends-on takes job ids separated by commas (got "${text}")`, "enqueue");
  return ids;
}

/** The limit keys of --limit-key NAME=KEY (repeatable), or undefined without the option. */
function limitKeysOption(ctx: CommandContext): Record<string, string> | undefined {
  const given = stringsOption(ctx, "limit-key");
  if (given.length === 0) return undefined;
  const pairs = given.map((text) => {
    const at = text.indexOf("=");
    if (at <= 0 || at === text.length - 1) throw new UsageError(`--limit-key takes NAME=KEY, e.g. per-project=42 (got "${text}")`, "enqueue");
    return { name: text.slice(0, at), key: text.slice(at + 1) };
  });
  const problems = limitKeyProblems(pairs);
  if (problems.length > 0) throw new UsageError(`--limit-key: ${problems.join("; ")}`, "enqueue");
  return Object.fromEntries(pairs.map(({ name, key }) => [name, key]));
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, "enqueue");
  }
}

/** Polls the job until it finishes, drawing its progress; the job's own progress wins over time. */
async function waitForJob(ctx: CommandContext, client: Client, job: Job): Promise<Job> {
  const bar = ctx.out.progress(`${job.task} ${job.id}`, 100);
  let delay = 20;
  let current = job;
  while (!isFinal(current.status)) {
    await sleep(delay);
    delay = Math.min(POLL_MAX_MS, delay * 2);
    current = await client.requireJob(job.id);
    bar.update(Math.round(progressPercent(current) ?? (current.status === "COMPLETED" ? 100 : 0)));
  }
  if (current.status === "COMPLETED") bar.update(100);
  bar.done();
  return current;
}

type Line = { text: string; number: number };

/** The non-empty lines of `lines`, trimmed, with their line numbers. */
async function* numbered(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Line> {
  let number = 0;
  for await (const line of lines) {
    number += 1;
    const text = line.trim();
    if (text !== "") yield { text, number };
  }
}

/**
 * How to read the file's lines, each time afresh: a regular file as a stream (memory holds one
 * line), anything else (a pipe, /dev/stdin) read once, since it cannot be read twice.
 */
function lineSource(path: string): () => AsyncGenerator<Line> {
  try {
    accessSync(path, constants.R_OK);
    if (statSync(path).isFile()) return () => numbered(createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity }));
    const lines = readFileSync(path, "utf8").split("\n");
    return () => numbered(lines);
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Enqueues one job per line in two passes over the file, so that memory holds one batch of
 * payloads (and, with --json, the ids of the jobs stored): the first checks every line as
 * enqueue would and stores nothing, so a bad line stops the import before any job is stored;
 * the second stores the jobs in batches.
 */
async function enqueueFromFile(ctx: CommandContext, client: Client, task: string, path: string, options: EnqueueOptions): Promise<number> {
  const lines = lineSource(path);
  let total = 0;
  for await (const line of lines()) {
    const payload = parseJson(line.text, `${path} line ${line.number}`);
    await client.check(task, payload, options).catch((error: unknown) => {
      throw new CliError(`${path} line ${line.number}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: "Nothing was enqueued: fix the line and run the command again.",
        cause: error,
      });
    });
    total += 1;
  }
  const bar = ctx.out.progress(`Enqueueing ${task}`, total);
  // Ids are kept only for the --json answer, which lists them.
  const ids: string[] = [];
  let enqueued = 0;
  let batch: Array<{ task: string; payload: Json; options: EnqueueOptions }> = [];
  let bytes = 0;
  let lastLine = 0;
  const flush = async (): Promise<void> => {
    try {
      const jobs = await client.enqueueMany(batch);
      enqueued += jobs.length;
      if (ctx.out.json) for (const job of jobs) ids.push(job.id);
    } catch (error) {
      const stored = enqueued === 0 ? "nothing was enqueued" : `the ${enqueued} job(s) of the lines before were enqueued`;
      throw new CliError(`Enqueueing the jobs up to ${path} line ${lastLine} failed (${stored}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    bar.update(enqueued);
    batch = [];
    bytes = 0;
  };
  for await (const line of lines()) {
    const size = Buffer.byteLength(line.text);
    if (batch.length >= BATCH || (batch.length > 0 && bytes + size > BATCH_BYTES)) await flush();
    batch.push({ task, payload: parseJson(line.text, `${path} line ${line.number}`), options });
    bytes += size;
    lastLine = line.number;
  }
  if (batch.length > 0) await flush();
  bar.done();
  ctx.out.result(() => `Enqueued ${enqueued} job(s) of ${task}.`, { enqueued, ids });
  return ExitCode.ok;
}

/**
 * Says on stderr when no live worker listens on the job's queue or runs its task; with --strict
 * refuses instead, before anything is stored. Exit 1, not 2 (decision 0003): the command is
 * right, and starting a worker makes the same command succeed.
 */
async function warnOfWorkers(ctx: CommandContext, client: Client, task: string, options: EnqueueOptions): Promise<Array<{ code: string; message: string }>> {
  const warnings = await client.enqueueWarnings(task, options.queue === undefined ? {} : { queue: options.queue });
  if (warnings.length === 0) return [];
  if (flag(ctx, "strict")) {
    throw new CliError(`Not enqueued (--strict): ${warnings.map((w) => `${w.message} [${w.code}]`).join("; ")}`, {
      hint: "Start a worker that runs the task on that queue (caudex worker --queues …), or enqueue without --strict: the job then waits until one does.",
    });
  }
  // With --json they go into the answer instead (as POST /jobs puts them), so stderr keeps one JSON document for an error.
  if (!ctx.out.json) for (const warning of warnings) ctx.out.note(`Warning: ${warning.message} [${warning.code}]`);
  return warnings;
}

/** The `enqueue` command. */
export const enqueueCommand: Command = {
  name: "enqueue",
  summary: "Enqueue a job (or one per line of a JSON Lines file)",
  usage: "enqueue TASK [--payload JSON] [--queue QUEUE] [--timeout 10m] [--delay 30s] [--depends-on ID,…] [--limit-key NAME=KEY] [--wait] [--strict] [--from FILE]",
  details: [
    "Examples:",
    `  caudex enqueue generate_wiki --payload '{"projectId":"42"}' --wait`,
    "  caudex enqueue send_email --from emails.jsonl   (one JSON payload per line)",
    "  caudex enqueue publish --depends-on job_01J…,job_01K… --on-dependency-failure run",
    "  caudex enqueue generate_wiki --limit-key per-project=42   (docs/limits.md)",
    "With --wait the exit code is 0 when the job COMPLETED and 1 when it FAILED or was CANCELED.",
    "When no live worker listens on the job's queue or runs its task, a warning goes to stderr and",
    "the job is stored all the same; with --strict nothing is stored and the exit code is 1.",
  ].join("\n"),
  options: {
    payload: { type: "string", help: "JSON  the job's payload (default {})" },
    queue: { type: "string", help: "QUEUE  queue to use (default: the task's, else default)" },
    timeout: { type: "string", help: "DURATION  abort the job after this long, e.g. 90s, 10m" },
    delay: { type: "string", help: "DURATION  run no earlier than this from now" },
    "max-attempts": { type: "string", help: "N  attempts before the job fails for good" },
    "idempotency-key": { type: "string", help: "KEY  a second enqueue with this key returns the first job" },
    "depends-on": { type: "string", help: "ID,…  wait (DEFERRED) until these jobs are final; each must exist" },
    "limit-key": { type: "string", multiple: true, help: "NAME=KEY  put the job under a per-key limit, e.g. per-project=42 (repeatable, at most 4)" },
    "on-dependency-failure": { type: "string", help: `POLICY  when a dependency fails or is canceled: ${DEPENDENCY_FAILURE_POLICIES.join(", ")} (default fail)` },
    wait: { type: "boolean", help: "wait for the job to finish, showing its progress" },
    strict: { type: "boolean", help: "refuse (exit 1, nothing stored) when no live worker would run the job" },
    from: { type: "string", help: "FILE  enqueue one job per line (each line a JSON payload)" },
  },
  // --tasks is optional here: given, the task's queue and defaults apply and payloads are checked.
  positionals: ["TASK"],
  settings: ["tasksModule", "resultTtlSeconds", "failureTtlSeconds"],
  async run(ctx) {
    const task = ctx.positionals[0] as string;
    const from = stringOption(ctx, "from");
    const payloadText = stringOption(ctx, "payload");
    if (from !== undefined && (payloadText !== undefined || flag(ctx, "wait"))) {
      throw new UsageError("--from reads payloads from a file: it cannot be combined with --payload or --wait", "enqueue");
    }
    const options = enqueueOptions(ctx);
    // With a tasks module, the task's own queue and defaults apply and payloads are checked.
    const tasks = ctx.config.tasksModule === null ? null : (await loadTaskModule(ctx.config.tasksModule, process.cwd())).tasks;
    return withClient(ctx.config, async (client) => {
      const warnings = await warnOfWorkers(ctx, client, task, options);
      const warned = warnings.length === 0 ? {} : { warnings };
      if (from !== undefined) return enqueueFromFile(ctx, client, task, from, options);
      const payload = payloadText === undefined ? {} : parseJson(payloadText, "--payload");
      const job = await client.enqueue(task, payload, options);
      if (!flag(ctx, "wait")) {
        ctx.out.result(() => `Enqueued ${job.id} (${job.task} on queue ${job.queue}, ${job.status}).`, { ...jobView(job), ...warned });
        return ExitCode.ok;
      }
      ctx.out.note(`Enqueued ${job.id}; waiting for it to finish (Ctrl-C stops waiting, not the job).`);
      const done = await waitForJob(ctx, client, job);
      ctx.out.result(() => renderJob(done), jobView(done));
      return done.status === "COMPLETED" ? ExitCode.ok : ExitCode.failure;
    }, tasks, { create: true });
  },
};
