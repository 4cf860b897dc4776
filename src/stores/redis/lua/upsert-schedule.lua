-- upsertSchedule: creates a schedule, or changes it: nothing when its definition text is the
-- stored one; a new timing text restarts it from `now` (its next fire time replaced, unless it
-- is paused; its last fire and job kept); any other change keeps its fire times and anchor.
-- KEYS[1] the schedule's hash, KEYS[2] every schedule id (zset), KEYS[3] due schedules (zset)
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME; unused), ARGV[3] schedule id, ARGV[4]
-- definition text, ARGV[5] timing text, ARGV[6] the request's now (ms), ARGV[7] the first
-- fire time after it (ms)
-- Returns {'OK', 'created' | 'unchanged' | 'updated' | 'retimed', the schedule's hash}.
local key, id = KEYS[1], ARGV[3]
local def, timing, now, next_at = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local stored = redis.call('HMGET', key, 'def', 'timing', 'paused')
local outcome
if not stored[1] then
  redis.call('HSET', key, 'def', def, 'timing', timing, 'paused', '0', 'next', next_at, 'anchor', now, 'created', now, 'updated', now)
  redis.call('ZADD', KEYS[2], 0, id)
  redis.call('ZADD', KEYS[3], next_at, id)
  outcome = 'created'
elseif stored[1] == def then
  return {'OK', 'unchanged', redis.call('HGETALL', key)}
elseif stored[2] ~= timing then
  redis.call('HSET', key, 'def', def, 'timing', timing, 'anchor', now, 'updated', now)
  if stored[3] ~= '1' then
    redis.call('HSET', key, 'next', next_at)
    redis.call('ZADD', KEYS[3], next_at, id)
  end
  outcome = 'retimed'
else
  redis.call('HSET', key, 'def', def, 'updated', now)
  outcome = 'updated'
end
return {'OK', outcome, redis.call('HGETALL', key)}
