// Store.claim on Redis: one claim.lua call that carries the completions waiting to be sent,
// takes jobs in queue order and keeps or withdraws the worker's standing claim. Jobs handed to a
// standing worker by message (stand-hand-offs.ts) are collected here with no round trip.
// A hand-off may come late (its message held up by a partition), so none is given to a worker
// once its lease may have expired: each claim reply bounds how far Redis's clock is ahead of our
// monotonic one (its TIME at the claim, less when we sent it), and a hand-off whose lease ends
// within leaseStartMarginMs of that bound is handed back (release is fenced) instead.
// A claim that a rate limit refused (decision 0023) answers when the rate has a token again:
// the next claim goes out then, and waits end then, though nothing is announced (tokens come back
// with time, not with a write). A concurrency's slot freed announces the queue instead.
import { TokenSequence } from "../../core/ids.js";
import type { ClaimedJob } from "../../core/job.js";
import { leaseStartMarginMs } from "../../core/lease-keeper.js";
import type { Logger } from "../../core/logger.js";
import type { ClaimRequest, Lease } from "../../core/store.js";
import { CompletionBatch } from "./completion-batch.js";
import { decodeClaimed } from "./claim-records.js";
import type { RedisKeys } from "./keys.js";
import { scripts, type ScriptReply, type ScriptRunner } from "./scripts.js";
import { StandHandOffs } from "./stand-hand-offs.js";
import type { WorkSignal } from "./work-signal.js";

// Due SCHEDULED jobs a claim promotes before it takes jobs.
const CLAIM_PROMOTE_LIMIT = 100;
// A claim after a quiet spell (nothing announced) is skipped, but one still goes out this often:
// an announcement lost while the subscriber reconnected must not leave work waiting for long.
const QUIET_CLAIM_MS = 10_000;

/** A claim as the claimer takes it: `stand` leaves a claim standing when nothing is found (Store.standingClaims). */
export type RedisClaimRequest = ClaimRequest & { stand?: boolean };

/** What the claimer needs from its store. */
export interface ClaimerDeps {
  keys: RedisKeys;
  signal: WorkSignal;
  completions: CompletionBatch;
  run: ScriptRunner;
  release: (lease: Lease) => Promise<void>;
  log: Logger;
}

/** Claims jobs for the workers of one store. */
export class RedisClaimer {
  private readonly standing: StandHandOffs;
  private readonly tokens = new TokenSequence();
  private lastRealClaim = 0;
  /** Redis's TIME minus performance.now() is at most this (from the latest claim reply); null before one. */
  private storeAheadMs: number | null = null;
  /** Date.now() when a rate that refused the latest claim has a token again; null when none refused. */
  private tokenDueAt: number | null = null;

  constructor(private readonly deps: ClaimerDeps) {
    this.standing = new StandHandOffs(deps.signal, deps.keys.handChannelPrefix());
  }

  /** Store.claim. */
  async claim(request: RedisClaimRequest): Promise<ClaimedJob[]> {
    const { incarnation, limit } = request;
    const { signal, keys, completions } = this.deps;
    // Jobs handed to this worker under its standing claim (by message) need no round trip.
    const handed = limit > 0 ? this.standing.collect(incarnation) : [];
    if (handed.length > 0) {
      const kept = await this.fit(handed, limit, request.leaseMs);
      // Hand-offs that came too late went back to the head of their queue: claim them afresh.
      if (kept.length > 0) return kept;
    }
    const quiet = signal.wasQuiet();
    signal.markClaim();
    // A claim for no job withdraws the worker's standing claim (a worker that stops): never skipped.
    const withdraw = limit === 0 && this.standing.mayStand(incarnation);
    const tokenDue = this.tokenDueAt !== null && Date.now() >= this.tokenDueAt;
    if (!withdraw && quiet && !tokenDue && Date.now() - this.lastRealClaim < QUIET_CLAIM_MS && !this.standing.due(incarnation, Date.now())) return [];
    this.lastRealClaim = Date.now();
    // Completions waiting for their own call ride along with the claim (settled first).
    const carried = completions.take();
    const token = this.tokens.next();
    const stand = this.standing.args(request.worker, incarnation, token, request.stand === true);
    let reply: ScriptReply;
    const sentAt = performance.now();
    try {
      reply = await this.deps.run(scripts.claim, {
        keys: { paused: keys.paused() },
        argv: {
          worker: request.worker, incarnation, limit, leaseMs: request.leaseMs, promoteLimit: CLAIM_PROMOTE_LIMIT, token,
          unstand: stand.unstand, standMs: stand.standMs, completions: carried.length,
        },
        rest: [...CompletionBatch.args(carried), ...request.queues],
      });
    } catch (error) {
      CompletionBatch.settle(carried, { error });
      throw error;
    }
    const [statuses, started, leaseExpiresAt, records, handedText, tokenWaitMs] = reply.data as [unknown[], string, string, string[], string, string];
    this.tokenDueAt = tokenWaitMs === "" ? null : Date.now() + Number(tokenWaitMs);
    CompletionBatch.settle(carried, { statuses });
    // TIME was read after the claim was sent, so Redis's clock is ahead of ours by at most this.
    this.storeAheadMs = Number(started) - sentAt;
    const jobs = decodeClaimed(records, { started: Number(started), leaseExpiresAt: Number(leaseExpiresAt), worker: request.worker, token });
    const late = this.standing.settle(incarnation, handedText);
    // A hand-off whose message has not come yet (or came while the worker was busy) fills a free
    // slot. A claim of no job withdrew for good (the worker stops): the worker is forgotten.
    const extra = [...late, ...(withdraw ? this.standing.forget(incarnation) : this.standing.collect(incarnation))];
    return extra.length === 0 ? jobs : [...jobs, ...(await this.fit(extra, limit - jobs.length, request.leaseMs))];
  }

  /** A wait of at most `timeoutMs` that ends when a rate refused by the latest claim has a token again. */
  waitMs(timeoutMs: number): number {
    return this.tokenDueAt === null ? timeoutMs : Math.max(0, Math.min(timeoutMs, this.tokenDueAt - Date.now()));
  }

  /**
   * Withdraws what may still stand for a worker that stops, if it did not when its loop ended;
   * jobs handed to it that it never started go back to the head of their queue.
   */
  async withdraw(worker: string, incarnation: string): Promise<void> {
    try {
      if (this.standing.mayStand(incarnation)) await this.claim({ queues: [], worker, incarnation, limit: 0, leaseMs: 0 });
    } finally {
      for (const job of this.standing.forget(incarnation)) await this.deps.release({ jobId: job.id, token: job.leaseToken }).catch(() => undefined);
    }
  }

  /**
   * Up to `room` of the jobs handed to a worker; the rest go back to the head of their queue
   * before the claim answers (a worker holds no job it has no slot for: nothing would extend
   * its lease). The claim that hands a job back keeps a slot for it, so this is rare.
   */
  private async fit(handed: readonly ClaimedJob[], room: number, leaseMs: number): Promise<ClaimedJob[]> {
    const kept: ClaimedJob[] = [];
    const back: ClaimedJob[] = [];
    // Without a bound yet (a message came before any claim's reply), nothing counts as fresh.
    const latestStoreNow = this.storeAheadMs === null ? Infinity : performance.now() + this.storeAheadMs;
    const margin = leaseStartMarginMs(leaseMs);
    for (const job of handed) {
      if (latestStoreNow >= job.leaseExpiresAt - margin) {
        this.deps.log.warn("skipped a handed job whose lease may have expired before it started; handing it back", { job: job.id });
        back.push(job);
      } else if (kept.length < room) kept.push(job);
      else back.push(job);
    }
    await Promise.all(back.map((job) => this.deps.release({ jobId: job.id, token: job.leaseToken }).catch(() => undefined)));
    return kept;
  }
}
