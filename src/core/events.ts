// Lifecycle events: one typed map of namespaced names, and a small typed emitter.
// Stores publish job events to every process that watches them; the server's SSE stream
// and the dashboard are fed from the same events.
import type { JobError, Json } from "./job.js";
import type { JobStatus } from "./job-states.js";

/** Names of job lifecycle events. */
export const JOB_EVENT_TYPES = [
  "job:created",
  "job:deferred",
  "job:enqueued",
  "job:scheduled",
  "job:started",
  "job:progress",
  "job:completed",
  "job:failed",
  "job:retrying",
  "job:stalled",
  "job:released",
  "job:canceled",
  "job:removed",
] as const;

/** A job lifecycle event name. */
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** One job lifecycle event. `seq` orders events of one store; SSE uses it as the event id. */
export interface JobEvent {
  seq?: string;
  type: JobEventType;
  jobId: string;
  queue: string;
  task: string;
  status: JobStatus;
  at: number;
  attempt?: number;
  worker?: string | null;
  progress?: Json;
  error?: JobError;
  /** On job:started, the wait since enqueue; on job:completed, job:failed and job:retrying, the run time. */
  durationMs?: number;
}

/** Events that workers emit about themselves, in-process. */
export interface WorkerEvents {
  "worker:started": { name: string };
  "worker:stopping": { name: string; reason: string };
  "worker:stopped": { name: string; processed: number; failed: number };
  "worker:error": { name: string; error: unknown };
  "worker:lease-lost": { name: string; jobId: string };
  /** A claimed job was not started: its lease may have expired before it could start (a late claim reply or hand-off). */
  "worker:job-skipped": { name: string; jobId: string; reason: "lease-expired" };
}

/** A minimal typed event emitter: listeners are called synchronously, errors are isolated. */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => this.off(type, listener);
  }

  off<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.listeners.get(type);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch {
        // A listener's bug must never break the worker loop or a store transition.
      }
    }
  }

  hasListeners(type: keyof Events): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }
}
