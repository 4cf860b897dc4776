-- pauseSchedule: stops a schedule firing: no next fire time, out of the due index. A paused
-- schedule stays as it is.
-- KEYS[1] the schedule's hash, KEYS[2] due schedules (zset)
-- ARGV[1] prefix, ARGV[2] now (unused), ARGV[3] schedule id
-- Returns {'OK', the schedule's hash} | {'NOT_FOUND'}.
local paused = redis.call('HGET', KEYS[1], 'paused')
if not paused then return {'NOT_FOUND'} end
if paused ~= '1' then
  redis.call('HSET', KEYS[1], 'paused', '1')
  redis.call('HDEL', KEYS[1], 'next')
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return {'OK', redis.call('HGETALL', KEYS[1])}
