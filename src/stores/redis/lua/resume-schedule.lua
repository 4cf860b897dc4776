-- resumeSchedule: a paused schedule fires again from the fire time given (computed from now:
-- fires missed while paused are not made up), anchored at now, while its timing is still the one
-- that fire time was computed from. A running one, or one retimed since, stays as it is.
-- KEYS[1] the schedule's hash, KEYS[2] due schedules (zset)
-- ARGV[1] prefix, ARGV[2] now (unused), ARGV[3] schedule id, ARGV[4] the request's now (ms),
-- ARGV[5] the next fire time (ms), ARGV[6] the expected timing text
-- Returns {'OK', the schedule's hash} | {'NOT_FOUND'}.
local paused = redis.call('HGET', KEYS[1], 'paused')
if not paused then return {'NOT_FOUND'} end
if paused == '1' and redis.call('HGET', KEYS[1], 'timing') == ARGV[6] then
  redis.call('HSET', KEYS[1], 'paused', '0', 'next', ARGV[5], 'anchor', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
end
return {'OK', redis.call('HGETALL', KEYS[1])}
