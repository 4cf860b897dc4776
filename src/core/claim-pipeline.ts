// The claims of one worker that are in flight, oldest first. A worker may send its next claim
// while the jobs of the previous one still run, so that it and the store work at the same time
// instead of taking turns; the store answers claims in the order they were sent. Each outcome
// carries when its claim was sent on the worker's monotonic clock, so the worker can tell a reply
// that came too late for its leases (worker.ts).
import type { ClaimedJob } from "./job.js";

/** What one claim of up to `limit` jobs, sent at `sentAt` (performance.now()), brought back: its jobs, or the error it failed with. */
export type ClaimOutcome = { limit: number; sentAt: number } & ({ jobs: ClaimedJob[]; error?: undefined } | { jobs?: undefined; error: unknown });

interface InFlight {
  limit: number;
  outcome: ClaimOutcome | null;
  answered: Promise<ClaimOutcome>;
}

/** Sends claims, keeps count of the slots they may fill, and hands back their outcomes in order. */
export class ClaimPipeline {
  private readonly inFlight: InFlight[] = [];
  private reservedSlots = 0;

  /** `claim` asks the store for up to `limit` jobs; `onAnswer` runs whenever a claim is answered. */
  constructor(
    private readonly claim: (limit: number) => Promise<ClaimedJob[]>,
    private readonly onAnswer: () => void,
  ) {}

  /** Claims in flight. */
  get size(): number {
    return this.inFlight.length;
  }

  /** Slots that the claims in flight may fill. */
  get reserved(): number {
    return this.reservedSlots;
  }

  /** Sends a claim for up to `limit` jobs. */
  send(limit: number): void {
    const sentAt = performance.now();
    const answered = this.claim(limit).then(
      (jobs): ClaimOutcome => ({ limit, sentAt, jobs }),
      (error: unknown): ClaimOutcome => ({ limit, sentAt, error }),
    );
    const entry: InFlight = { limit, outcome: null, answered };
    void answered.then((outcome) => {
      entry.outcome = outcome;
      this.onAnswer();
    });
    this.reservedSlots += limit;
    this.inFlight.push(entry);
  }

  /** The oldest claim's outcome once it is answered (null before), removed from the pipeline. */
  takeAnswered(): ClaimOutcome | null {
    const head = this.inFlight[0];
    if (head?.outcome == null) return null;
    this.inFlight.shift();
    this.reservedSlots -= head.limit;
    return head.outcome;
  }

  /** Waits for every claim still in flight and returns their outcomes, oldest first. */
  async drain(): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = [];
    for (let entry = this.inFlight.shift(); entry !== undefined; entry = this.inFlight.shift()) {
      outcomes.push(await entry.answered);
      this.reservedSlots -= entry.limit;
    }
    return outcomes;
  }
}
