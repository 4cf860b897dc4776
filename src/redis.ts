// The `caudex/redis` entry: the Redis store with its driver's types. The root entry does not
// name ioredis' types, so projects on SQLite compile without them.
export { RedisStore } from "./stores/redis/redis-store.js";
export type { RedisStoreOptions } from "./stores/redis/redis-store.js";
export type { RedisConnectionOptions } from "./stores/redis/redis-connection.js";
