-- finishesPerMinute: jobs completed and failed for good per queue and minute, from the
-- `minutes:<queue>` buckets that count_finish keeps (about the last hour, so at most ~124
-- fields per queue are read).
-- KEYS[1] known-queues set
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] first minute wanted (epoch ms / 60000)
-- Returns {'OK', {queue, kind ('done' | 'fail'), minute, count}...}.
-- @include job
local first = tonumber(ARGV[3])
local out = {'OK'}
for _, queue in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', P .. 'minutes:' .. queue)
  for i = 1, #fields, 2 do
    local kind, minute = string.match(fields[i], '^(%a+):(%d+)$')
    if kind and tonumber(minute) >= first then out[#out + 1] = {queue, kind, tonumber(minute), tonumber(fields[i + 1])} end
  end
end
return out
