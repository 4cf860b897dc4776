// Standing claims (decision 0009): a worker whose claim found nothing leaves a claim for one job
// standing in Redis, and enqueue-one starts the next job of its queues under it and sends it on
// the worker's own channel, so the job starts without a claim's round trip. This keeps, per
// worker incarnation, the tokens it stood under and the jobs handed under them, each delivered
// once whether it comes by message or in the reply of the claim that withdraws the standing one
// (the message may even arrive before the reply of the claim that stood).
import type { ClaimedJob } from "../../core/job.js";
import { decodeClaimed } from "./claim-records.js";
import type { WorkSignal } from "./work-signal.js";

/** How long a standing claim holds: a worker that stands again before then keeps it up. */
export const STAND_MS = 8000;
// An idle worker claims again (and so stands again) this long after its last claim.
const RESTAND_MS = STAND_MS - 2000;
// Tokens remembered per worker: a hand-off is reported at most twice, by message and by the
// next claim's reply, and every claim withdraws what stands, so a few recent ones are enough.
const REMEMBERED = 8;

interface Stand {
  worker: string;
  channel: string;
  /** False until the worker's channel is subscribed: until then it does not stand. */
  listening: boolean;
  /** Tokens of claims sent to stand, and tokens whose job was delivered (recent ones). */
  sent: string[];
  delivered: string[];
  /** When the worker last sent a claim that may stand (Date.now()); 0 before. */
  since: number;
  /** Jobs handed by message that the worker has not collected yet. */
  handed: ClaimedJob[];
  /** The worker stopped: a subscription still being made is dropped once made. */
  forgotten: boolean;
}

/** The claim arguments that stand and withdraw. */
export interface StandArgs {
  /** '' when the worker never stood, else the token of the last hand-off it got by message, or '-'. */
  unstand: string;
  standMs: number;
}

/** The standing claims of one store's workers: what each incarnation stood under and what was handed to it. */
export class StandHandOffs {
  private readonly stands = new Map<string, Stand>();

  constructor(
    private readonly signal: WorkSignal,
    private readonly channelPrefix: string,
  ) {}

  /** The key a worker's waits listen on for its hand-offs (never a queue name: it starts with NUL). */
  static wakeKey(incarnation: string): string {
    return `\0hand:${incarnation}`;
  }

  /**
   * Jobs handed to this worker that it has not collected: a claim returns them with no round
   * trip. Their wake-up is consumed with them (left announced, it would end every wait of the
   * worker at once).
   */
  collect(incarnation: string): ClaimedJob[] {
    this.signal.consume(StandHandOffs.wakeKey(incarnation));
    const stand = this.stands.get(incarnation);
    if (stand === undefined || stand.handed.length === 0) return [];
    const jobs = stand.handed;
    stand.handed = [];
    return jobs;
  }

  /**
   * True when the worker should claim for real although nothing was announced: it listens to its
   * channel and has not sent a claim that may stand for RESTAND_MS (its standing claim, if any,
   * is due to be renewed; a claim that found work or could not stand is renewed the same way).
   */
  due(incarnation: string, now: number): boolean {
    const stand = this.stands.get(incarnation);
    return stand !== undefined && stand.listening && now - stand.since >= RESTAND_MS;
  }

  /**
   * The arguments of a claim under `token`: withdraw what may stand (every claim of a worker
   * that ever stood; the claim hands back a job handed under it unless the worker got it by
   * message), and stand again when `stand` and the worker's channel is listened to.
   */
  args(worker: string, incarnation: string, token: string, stand: boolean): StandArgs {
    let entry = this.stands.get(incarnation);
    if (entry === undefined && stand) {
      entry = { worker, channel: `${this.channelPrefix}${incarnation}`, listening: false, sent: [], delivered: [], since: 0, handed: [], forgotten: false };
      this.stands.set(incarnation, entry);
      this.listen(incarnation, entry);
    }
    if (entry === undefined) return { unstand: "", standMs: 0 };
    const ready = stand && entry.listening && this.signal.isLive();
    if (ready) {
      remember(entry.sent, token);
      entry.since = Date.now();
    }
    return { unstand: entry.listening ? (entry.delivered.at(-1) ?? "-") : "", standMs: ready ? STAND_MS : 0 };
  }

  /** After a claim's reply: the job handed under the withdrawn standing claim if not delivered yet. */
  settle(incarnation: string, handedText: string): ClaimedJob[] {
    const stand = this.stands.get(incarnation);
    return stand === undefined || handedText === "" ? [] : this.accept(stand, handedText);
  }

  /** Forgets a worker (it stops): the jobs handed to it that it never collected. */
  forget(incarnation: string): ClaimedJob[] {
    const stand = this.stands.get(incarnation);
    if (stand === undefined) return [];
    this.stands.delete(incarnation);
    stand.forgotten = true;
    this.signal.unlisten(stand.channel);
    return stand.handed;
  }

  /** Whether the worker may still hold a standing claim (or an undelivered hand-off) in Redis. */
  mayStand(incarnation: string): boolean {
    const stand = this.stands.get(incarnation);
    return stand !== undefined && stand.listening;
  }

  private listen(incarnation: string, stand: Stand): void {
    this.signal
      .listen(stand.channel, (message) => {
        const jobs = this.accept(stand, message);
        if (jobs.length === 0) return;
        stand.handed.push(...jobs);
        this.signal.notify(StandHandOffs.wakeKey(incarnation));
      })
      .then(
        () => {
          stand.listening = true;
          if (stand.forgotten) this.signal.unlisten(stand.channel);
        },
        () => this.stands.get(incarnation) === stand && this.stands.delete(incarnation),
      );
  }

  /** The job of a hand-off text ('started|leaseExpiry|token|queue|entry'), if one of this worker's and not delivered yet. */
  private accept(stand: Stand, text: string): ClaimedJob[] {
    const cut: number[] = [];
    for (let at = -1, i = 0; i < 4; i++) {
      at = text.indexOf("|", at + 1);
      if (at < 0) return [];
      cut.push(at);
    }
    const [a, b, c, d] = cut as [number, number, number, number];
    const token = text.slice(b + 1, c);
    if (!stand.sent.includes(token) || stand.delivered.includes(token)) return [];
    remember(stand.delivered, token);
    const shared = { started: Number(text.slice(0, a)), leaseExpiresAt: Number(text.slice(a + 1, b)), worker: stand.worker, token };
    return decodeClaimed([`\u0001${text.slice(c + 1, d)}`, text.slice(d + 1)], shared);
  }
}

function remember(tokens: string[], token: string): void {
  tokens.push(token);
  if (tokens.length > REMEMBERED) tokens.shift();
}
