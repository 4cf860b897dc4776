// Loads a compiled build of Caudex (a dist/ folder: this one, or an earlier version's) for the
// benchmarks that compare builds in one run. Another build's modules have this build's shapes.
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The parts of a build the benchmarks drive. */
export type Build = {
  label: string;
  Client: typeof import("../src/core/client.js").Client;
  Worker: typeof import("../src/core/worker.js").Worker;
  defineTask: typeof import("../src/core/task.js").defineTask;
  RedisStore: typeof import("../src/stores/redis/redis-store.js").RedisStore;
  SqliteStore: typeof import("../src/stores/sqlite/sqlite-store.js").SqliteStore;
};

/** The build in `dist`, under `label`. */
export async function loadBuild(label: string, dist: string): Promise<Build> {
  const at = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(resolve(dist), path)).href)) as T;
  return {
    label,
    Client: (await at<typeof import("../src/core/client.js")>("core/client.js")).Client,
    Worker: (await at<typeof import("../src/core/worker.js")>("core/worker.js")).Worker,
    defineTask: (await at<typeof import("../src/core/task.js")>("core/task.js")).defineTask,
    RedisStore: (await at<typeof import("../src/stores/redis/redis-store.js")>("stores/redis/redis-store.js")).RedisStore,
    SqliteStore: (await at<typeof import("../src/stores/sqlite/sqlite-store.js")>("stores/sqlite/sqlite-store.js")).SqliteStore,
  };
}
