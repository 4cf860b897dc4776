import { describe, expect, it } from "vitest";
import { ClaimPipeline } from "./claim-pipeline.js";
import type { ClaimedJob } from "./job.js";

function deferred(): { promise: Promise<ClaimedJob[]>; resolve: (jobs: ClaimedJob[]) => void; reject: (e: unknown) => void } {
  let resolve!: (jobs: ClaimedJob[]) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<ClaimedJob[]>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const job = (id: string) => ({ id }) as ClaimedJob;

describe("ClaimPipeline", () => {
  it("hands back answers oldest first and counts the slots still reserved", async () => {
    const calls = [deferred(), deferred()];
    let answers = 0;
    const pipeline = new ClaimPipeline((limit) => (calls.shift() as ReturnType<typeof deferred>).promise.then((jobs) => jobs.slice(0, limit)), () => (answers += 1));
    const [first, second] = calls as [ReturnType<typeof deferred>, ReturnType<typeof deferred>];
    pipeline.send(2);
    pipeline.send(3);
    expect(pipeline.reserved).toBe(5);
    second.resolve([job("c")]);
    await new Promise((r) => setImmediate(r));
    expect(pipeline.takeAnswered()).toBeNull();
    first.resolve([job("a"), job("b")]);
    await new Promise((r) => setImmediate(r));
    expect(answers).toBe(2);
    expect(pipeline.takeAnswered()?.jobs?.map((j) => j.id)).toEqual(["a", "b"]);
    expect(pipeline.reserved).toBe(3);
    expect(pipeline.takeAnswered()?.jobs?.map((j) => j.id)).toEqual(["c"]);
    expect(pipeline.size).toBe(0);
    expect(pipeline.reserved).toBe(0);
  });

  it("reports a failed claim as an outcome and drains what is still in flight", async () => {
    const call = deferred();
    const pipeline = new ClaimPipeline(() => call.promise, () => undefined);
    pipeline.send(4);
    call.reject(new Error("down"));
    const outcomes = await pipeline.drain();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.error).toBeInstanceOf(Error);
    expect(pipeline.reserved).toBe(0);
  });
});
