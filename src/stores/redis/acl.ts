// The least privileges the Redis store needs, as ACL SETUSER rules: its key and channel
// patterns and every command it sends, including those its Lua scripts call (ACLs apply there too).

/** Commands sent by the store or called by its scripts. */
export const REDIS_COMMANDS = [
  // connection and server checks
  "ping", "hello", "auth", "client|setname", "info", "time", "config|get",
  // scripts
  "evalsha", "eval",
  // job hashes, lists, sets, sorted sets (reads and script writes)
  "hget", "hmget", "hgetall", "hset", "hdel", "hincrby", "hlen", "hkeys", "exists", "del", "set",
  "lpush", "rpush", "lpop", "lset", "lpos", "lrem", "lindex", "llen", "lrange", "ltrim",
  "sadd", "srem", "smembers", "sismember", "smismember", "sunion",
  "zadd", "zrem", "zscore", "zcard", "zrange", "zrangebyscore", "zrangebylex", "zrevrangebylex",
  // events and wake-ups
  "xadd", "xread", "xrevrange", "publish", "subscribe", "unsubscribe",
] as const;

/** ACL SETUSER rules for a Caudex user: `ACL SETUSER caudex on >password <rules...>`. */
export const REDIS_ACL_RULES: readonly string[] = ["~caudex:*", "&caudex:*", ...REDIS_COMMANDS.map((c) => `+${c}`)];
