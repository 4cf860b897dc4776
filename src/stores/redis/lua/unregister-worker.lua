-- unregisterWorker: removes a worker's entry if this incarnation still holds it.
-- KEYS[1] workers hash, KEYS[2] worker heartbeats zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] incarnation
-- Returns {'OK'}.
-- @include job
local current = redis.call('HGET', KEYS[1], ARGV[3])
if current and cjson.decode(current).incarnation == ARGV[4] then
  redis.call('HDEL', KEYS[1], ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return {'OK'}
