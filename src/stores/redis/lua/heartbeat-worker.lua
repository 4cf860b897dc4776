-- heartbeatWorker: refreshes (or recreates) a worker's entry, unless another incarnation holds it.
-- KEYS[1] workers hash, KEYS[2] worker heartbeats zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] incarnation, ARGV[5] worker JSON
-- Returns {'OK'} | {'SUPERSEDED'}.
-- @include job
local current = redis.call('HGET', KEYS[1], ARGV[3])
if current and cjson.decode(current).incarnation ~= ARGV[4] then return {'SUPERSEDED'} end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[2], NOW, ARGV[3])
return {'OK'}
