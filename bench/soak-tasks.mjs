// The soak's task, loaded by `caudex worker --tasks` from the built package: a short sleep and a
// small result, so that the run measures Caudex (claims, settlements, events, pruning), not work.
import { defineTask } from "../dist/index.js";

/** Sleeps payload.ms milliseconds (default 5) and returns a small result. */
export const soakStep = defineTask("soak_step", async (payload) => {
  const ms = typeof payload?.ms === "number" ? payload.ms : 5;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { n: payload?.n ?? null, slept_ms: ms };
}, { maxAttempts: 1 });
