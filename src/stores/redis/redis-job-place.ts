// Where a job stands on Redis, for explanations (job-place.lua): a waiting job's count of jobs
// ahead of it, read from a bounded part of its list, and a running job's lease.
import type { JobPlace } from "../../core/store.js";
import type { RedisKeys } from "./keys.js";
import { ScriptStatus, scripts, type ScriptRunner } from "./scripts.js";

/** Reads `jobPlace` through the store's script runner. */
export async function redisJobPlace(keys: RedisKeys, run: ScriptRunner, jobId: string, bound: number): Promise<JobPlace | null> {
  const reply = await run(scripts.jobPlace, { keys: { job: keys.job(jobId) }, argv: { jobId, bound } });
  if (reply.status === ScriptStatus.NotFound) return null;
  const [status, ahead, atLeast, expires, incarnation] = reply.data as [string, string, string, string, string];
  return {
    ahead: status === "QUEUED" && ahead !== "" ? Number(ahead) : null,
    aheadAtLeast: atLeast === "1",
    leaseExpiresAt: status === "PROCESSING" && expires !== "" ? Number(expires) : null,
    leaseIncarnation: status === "PROCESSING" && incarnation !== "" ? incarnation : null,
  };
}
