// The benchmark runs Caudex as users run it: the compiled package in dist/ (`npm run bench`
// builds it first), not the TypeScript sources through a loader. Types come from the sources.
import { existsSync } from "node:fs";

const DIST = new URL("../dist/", import.meta.url);

async function load<T>(path: string): Promise<T> {
  const url = new URL(path, DIST);
  if (!existsSync(url)) throw new Error(`${url.pathname} is missing: run \`npm run build\` first (\`npm run bench\` does)`);
  return (await import(url.href)) as T;
}

export const { Client } = await load<typeof import("../src/core/client.js")>("core/client.js");
export const { Worker } = await load<typeof import("../src/core/worker.js")>("core/worker.js");
export const { defineTask } = await load<typeof import("../src/core/task.js")>("core/task.js");
export const { RedisStore } = await load<typeof import("../src/stores/redis/redis-store.js")>("stores/redis/redis-store.js");
export const { SqliteStore } = await load<typeof import("../src/stores/sqlite/sqlite-store.js")>("stores/sqlite/sqlite-store.js");
export const { PostgresStore } = await load<typeof import("../src/stores/postgres/postgres-store.js")>("stores/postgres/postgres-store.js");
