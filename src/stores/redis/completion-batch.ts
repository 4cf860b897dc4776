// Completions of the Redis store, batched: every complete() issued in the same tick of the
// event loop goes to Redis in one script call, and each caller's promise settles only with that
// call's reply (nothing is acknowledged before Redis has it; each job's token is still checked).
// A claim sent in that tick takes the waiting completions along instead (`take`), so a worker
// that frees slots and claims again pays one call, not two.
import { LeaseLostError } from "../../core/errors.js";
import { encodeResult } from "../../core/json.js";
import type { Json } from "../../core/job.js";
import type { Lease } from "../../core/store.js";
import { ScriptStatus, type ScriptReply } from "./scripts.js";

/** A completion waiting to be sent. */
export interface PendingCompletion {
  lease: Lease;
  result: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Runs the complete script once per batch with these arguments (the store's checked runner). */
export type BatchRunner = (args: readonly string[]) => Promise<ScriptReply>;

// A batch bigger than this is split: one script call should not hold Redis for long.
const MAX_BATCH = 500;

/** Collects completions and sends them together on the next tick. */
export class CompletionBatch {
  private pending: PendingCompletion[] = [];

  constructor(private readonly run: BatchRunner) {}

  /** Completes a job under its lease; rejects with LeaseLostError when the token is stale. */
  complete(lease: Lease, result: Json): Promise<void> {
    return new Promise((resolve, reject) => {
      // process.nextTick runs after the promise jobs of this tick: slots freed together share a call.
      if (this.pending.length === 0) process.nextTick(() => this.flush());
      this.pending.push({ lease, result: encodeResult(result), resolve, reject });
    });
  }

  /** Takes up to MAX_BATCH waiting completions for another call to carry; see `settle`. */
  take(): PendingCompletion[] {
    return this.pending.splice(0, MAX_BATCH);
  }

  /** The (job id, token, result) arguments of these completions, in order. */
  static args(batch: readonly PendingCompletion[]): string[] {
    const args: string[] = [];
    for (const { lease, result } of batch) args.push(lease.jobId, lease.token, result);
    return args;
  }

  /** Settles taken completions with the per-job statuses their call returned, or its error. */
  static settle(batch: readonly PendingCompletion[], outcome: { statuses: readonly unknown[] } | { error: unknown }): void {
    if ("error" in outcome) {
      for (const entry of batch) entry.reject(outcome.error);
      return;
    }
    batch.forEach((entry, i) => {
      if (outcome.statuses[i] === ScriptStatus.Ok) entry.resolve();
      else entry.reject(new LeaseLostError(entry.lease.jobId));
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (let start = 0; start < batch.length; start += MAX_BATCH) void this.send(batch.slice(start, start + MAX_BATCH));
  }

  private async send(batch: readonly PendingCompletion[]): Promise<void> {
    if (batch.length === 0) return;
    let reply: ScriptReply;
    try {
      reply = await this.run(CompletionBatch.args(batch));
    } catch (error) {
      CompletionBatch.settle(batch, { error });
      return;
    }
    CompletionBatch.settle(batch, { statuses: reply.data });
  }
}
