// How full Redis is, for health: used_memory against maxmemory from INFO memory, and whether
// writes are refused now. With noeviction, a Redis at maxmemory refuses every write (OOM), so
// every worker stops; it takes writes again by itself once memory frees.
import type { StoreHealth } from "../../core/store.js";
import type { RedisConnection } from "./scripts.js";

/** From this share of maxmemory on, health warns that Redis is close to refusing writes. */
export const MEMORY_WARNING_RATIO = 0.9;
// Redis refuses a write once its memory is over maxmemory; just under it, a refusal seen
// moments ago still holds (one write's worth of room is not room).
const REFUSING_RATIO = 0.98;

/** used_memory and maxmemory in bytes (maxmemory 0: no limit). */
export interface RedisMemory {
  usedBytes: number;
  maxBytes: number;
}

/** Reads INFO memory; null when the server does not answer it (some managed services). */
export async function readMemory(redis: RedisConnection): Promise<RedisMemory | null> {
  try {
    const info = await redis.info("memory");
    const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
    const usedBytes = field("used_memory");
    const maxBytes = field("maxmemory");
    return Number.isFinite(usedBytes) && Number.isFinite(maxBytes) ? { usedBytes, maxBytes } : null;
  } catch {
    return null;
  }
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Health's view of memory: the fullness, a warning near the limit, and the refusal (from INFO at
 * the limit, or a refused write seen lately while memory is still about full). `recentRefusal`
 * is what the store saw on its last refused write, if lately.
 */
export function memoryHealth(memory: RedisMemory | null, recentRefusal: string | null): Pick<StoreHealth, "writesRefused" | "fullness"> & { warnings: string[] } {
  if (memory === null || memory.maxBytes === 0) {
    return recentRefusal === null ? { warnings: [] } : { warnings: [], writesRefused: recentRefusal };
  }
  const fullness = memory.usedBytes / memory.maxBytes;
  const usage = `${mib(memory.usedBytes)} of maxmemory ${mib(memory.maxBytes)} (${Math.round(fullness * 100)}%)`;
  if (fullness >= 1 || (recentRefusal !== null && fullness >= REFUSING_RATIO)) {
    return {
      warnings: [],
      fullness,
      writesRefused: `Redis is at maxmemory (noeviction), ${usage}: it refuses writes, so no job can be enqueued, claimed, extended or completed until memory frees`,
    };
  }
  if (fullness >= MEMORY_WARNING_RATIO) {
    return { warnings: [`Redis memory is at ${usage}: at maxmemory it refuses every write and all workers stop`], fullness };
  }
  return { warnings: [], fullness };
}
