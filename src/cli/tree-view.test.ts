// The terminal's tree and batch views over trees a real (in-memory) SQLite store returns.
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../stores/sqlite/sqlite-store.js";
import { Client } from "../core/client.js";
import { renderBatch, renderTree } from "./tree-view.js";

const stores: SqliteStore[] = [];
function client(): Client {
  const store = new SqliteStore({ path: ":memory:" });
  stores.push(store);
  return new Client({ store });
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe("renderTree", () => {
  it("draws each job once, under its owner or else under the first job that waits for it", async () => {
    const c = client();
    const a = await c.enqueue("fetch", {});
    const b = await c.enqueue("fetch", {});
    const x = await c.enqueue("merge", {}, { dependsOn: [a.id, b.id] });
    const y = await c.enqueue("report", {}, { dependsOn: [x.id, a.id] });
    const text = renderTree(await c.jobTree(y.id));
    expect(text.split("\n")).toEqual([
      `${y.id}  report  DEFERRED  waits for 2 of 2`,
      `├─ ${x.id}  merge  DEFERRED  waits for 2 of 2`,
      `│  └─ ${b.id}  fetch  QUEUED`,
      `└─ ${a.id}  fetch  QUEUED`,
      "",
      "4 job(s), 0 final.",
    ]);
  });

  it("nests a flow's jobs under their parents, whichever job it starts from", async () => {
    const c = client();
    const { root, jobs } = await c.enqueueFlow({ task: "root", payload: {}, children: [{ task: "mid", payload: {}, children: [{ task: "leaf", payload: {} }] }, { task: "side", payload: {} }] });
    const [leaf, mid, side] = jobs;
    await c.cancel(side?.id ?? "");
    const lines = renderTree(await c.jobTree(leaf?.id ?? "")).split("\n");
    // The canceled child fails its parent, the root, by the default policy; mid still waits.
    expect(lines[0]).toBe(`${root.id}  root  FAILED  DEPENDENCY_FAILED: Dependency ${side?.id ?? ""} was canceled`);
    expect(lines.slice(1, 4)).toEqual([`├─ ${mid?.id ?? ""}  mid  DEFERRED  waits for 1 of 1`, `│  └─ ${leaf?.id ?? ""}  leaf  QUEUED`, `└─ ${side?.id ?? ""}  side  CANCELED`]);
  });
});

describe("renderBatch", () => {
  it("shows the callback and how the members stand", async () => {
    const c = client();
    const { batch } = await c.enqueueBatch({ jobs: [{ task: "send", payload: {} }, { task: "send", payload: {} }], callback: { task: "report", payload: {} } });
    expect(renderBatch(await c.getBatch(batch.id))).toBe(
      [`batch:    ${batch.id}`, "callback: report, DEFERRED", "members:  0 of 2 final: 0 completed, 0 failed, 0 canceled; 2 waiting", "finished: no"].join("\n"),
    );
  });
});
