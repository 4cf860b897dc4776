-- jobPlace: where a job stands, for explanations; reads only. A waiting job: how many waiting
-- jobs are ahead of it in its list (its queue's, or under limits its lane's), with gaps not
-- counted. LPOS with MAXLEN compares inside Redis and copies no entry, so at most `bound`
-- entries are looked at however long the list. A packed job's index comes from its place in
-- the QUEUED index (includes/queued.lua); past the bound, the queue's gap counter gives a
-- lower bound. A running job: its lease's expiry (the `leases` score) and incarnation.
-- KEYS[1] the job's hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] bound (most list entries looked at)
-- Returns {'OK', status, ahead ('' unless QUEUED), '1' when ahead is a lower bound else '0',
-- lease expiry ('' unless PROCESSING), incarnation} | {'NOT_FOUND'}.
-- @include lanes
local id, bound = ARGV[3], tonumber(ARGV[4])

-- Gaps ('' entries) among the first `n` entries of a list.
local function gaps_before(key, n)
  if n <= 0 then return 0 end
  return #redis.call('LPOS', key, '', 'COUNT', 0, 'MAXLEN', n)
end

local status, queue, lk, inc = unpack(redis.call('HMGET', KEYS[1], 'status', 'queue', 'lk', 'inc'))
if status == 'PROCESSING' then
  return {'OK', status, '', '0', redis.call('ZSCORE', P .. 'leases', id) or '', inc or ''}
end
if status and status ~= 'QUEUED' then return {'OK', status, '', '0', '', ''} end
if status then
  -- A waiting job with a hash: its entry is its id, in its lane or its queue's main list.
  local key = lk and (P .. 'lane:' .. queue .. '|' .. lane_of(lk)) or (P .. 'queue:' .. queue)
  local at = redis.call('LPOS', key, id, 'MAXLEN', bound)
  if at then return {'OK', status, tostring(at - gaps_before(key, at)), '0', '', ''} end
  local seen = math.min(bound, redis.call('LLEN', key))
  return {'OK', status, tostring(seen - gaps_before(key, seen)), '1', '', ''}
end
local packed = find_packed(id)
if not packed then return {'NOT_FOUND'} end
local key = P .. 'queue:' .. packed.queue
if packed.at <= bound then return {'OK', 'QUEUED', tostring(packed.at - gaps_before(key, packed.at)), '0', '', ''} end
local gaps = tonumber(redis.call('HGET', P .. 'counts', packed.queue .. '|gaps')) or 0
return {'OK', 'QUEUED', tostring(math.max(packed.at - gaps, 0)), gaps > 0 and '1' or '0', '', ''}
