// MIGRATING_FROM_RQ.md's worked example runs as written: its `myapp/tasks.py` under
// `python3 -m caudex worker`, its `myapp/jobs.py` enqueueing and reading over HTTP against a
// real `caudex serve` (the Flask view itself needs Flask, which the example only calls into).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../support/cli.js";
import { PY_FULL_TOKEN, PYTHON_PATH, pythonAvailable, startPython, startServe, type PythonProcess, type Served } from "../support/python.js";

const guide = readFileSync(join(import.meta.dirname, "../../MIGRATING_FROM_RQ.md"), "utf8");
const havePython = pythonAvailable();

/** The guide's Python block whose first line names `file`. */
function block(file: string): string {
  const found = [...guide.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((code) => code.startsWith(`# ${file}\n`));
  if (found === undefined) throw new Error(`MIGRATING_FROM_RQ.md has no Python block for ${file}`);
  return found;
}

describe.skipIf(!havePython)("MIGRATING_FROM_RQ.md, task by task from Flask + RQ", () => {
  const dir = mkdtempSync(join(tmpdir(), "caudex-migration-"));
  let served: Served;
  const children: PythonProcess[] = [];
  beforeAll(async () => {
    await buildCli();
    mkdirSync(join(dir, "myapp"));
    writeFileSync(join(dir, "myapp/__init__.py"), "");
    writeFileSync(join(dir, "myapp/tasks.py"), block("myapp/tasks.py"));
    writeFileSync(join(dir, "myapp/jobs.py"), block("myapp/jobs.py"));
    served = await startServe({ CAUDEX_DB: join(dir, "caudex.db") });
  }, 120_000);
  afterAll(() => {
    for (const child of children) child.process.kill("SIGKILL");
    served?.server.process.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the guide's Python task, enqueued by the guide's producer helpers", async () => {
    const env = { CAUDEX_URL: served.url, INTERNAL_SERVICE_TOKEN: PY_FULL_TOKEN, PYTHONPATH: `${dir}:${PYTHON_PATH}` };
    const worker = startPython(["-m", "caudex", "worker", "--url", served.url, "--tasks", "myapp.tasks", "--queues", "high,default", "--name", "py-migration"], env);
    children.push(worker);
    await worker.waitForOutput(/worker py-migration running tasks generate_wiki/);
    const script = [
      "import json, time",
      "from myapp.jobs import start_wiki, wiki_status",
      'job_id = start_wiki("42", "7")',
      "status = wiki_status(job_id)",
      'while status["status"] not in ("COMPLETED", "FAILED", "CANCELED"):',
      "    time.sleep(0.05)",
      "    status = wiki_status(job_id)",
      "print(json.dumps(status))",
    ].join("\n");
    const producer = startPython(["-c", script], env);
    expect(await producer.exited, producer.output()).toBe(0);
    const status = JSON.parse(producer.output().trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
    expect(status).toMatchObject({ status: "COMPLETED", progress: { percent: 100 }, result: { project_id: "42", pages: ["42/intro", "42/api", "42/faq"] } });
    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  }, 60_000);
});
