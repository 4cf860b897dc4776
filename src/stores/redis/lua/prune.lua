-- prune: deletes up to `limit` finished jobs past their retention, and forgets silent workers.
-- KEYS[1] expiry zset, KEYS[2] workers hash, KEYS[3] worker heartbeats zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit, ARGV[4] forget workers silent for this many ms
-- Returns {'OK', deleted}.
-- @include job
local limit = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  if not delete_job(id) then redis.call('ZREM', KEYS[1], id) end
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', NOW - tonumber(ARGV[4]), 'LIMIT', 0, limit)
for _, name in ipairs(gone) do
  redis.call('HDEL', KEYS[2], name)
  redis.call('ZREM', KEYS[3], name)
end
return {'OK', #ids}
