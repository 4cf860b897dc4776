-- listSchedules: one page of schedules in id order, after a cursor (the last id of the
-- previous page; it need not exist any more).
-- KEYS[1] every schedule id (zset, score 0)
-- ARGV[1] prefix, ARGV[2] now (unused), ARGV[3] limit, ARGV[4] cursor ('' = from the first)
-- Returns {'OK', nextCursor or '', {id, hash}...}.
-- @include schedules
local limit = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[4] == '' and '-' or '(' .. ARGV[4], '+', 'LIMIT', 0, limit + 1)
local out = {'OK', #ids > limit and ids[limit] or ''}
for i = 1, math.min(limit, #ids) do out[#out + 1] = {ids[i], redis.call('HGETALL', schedule_key(ids[i]))} end
return out
