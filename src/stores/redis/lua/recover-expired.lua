-- recoverExpired: requeues (or fails with STALLED past the stall limit) up to `limit` jobs whose
-- lease expired by the server's clock.
-- KEYS[1] leases zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit, ARGV[4] stall limit
-- Returns {'OK', requeued, failed}.
-- @include dependencies
local requeued, failed = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local outcome = stall(id, tonumber(ARGV[4]), 'its lease expired')
  if outcome == 'requeued' then requeued = requeued + 1 elseif outcome == 'failed' then failed = failed + 1 end
end
return {'OK', requeued, failed}
