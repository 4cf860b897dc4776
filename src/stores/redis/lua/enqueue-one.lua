-- enqueue-one: one plain job (see enqueue-plain.lua), on the usual path only. The single awaited
-- enqueue is mostly round trip and fixed script cost, and most of that cost is Lua's own work
-- (closures, tables, garbage), so this script builds no tables of its own and defines no
-- function but lease_packed (for the hand-off below). It writes exactly what enqueue-plain.lua
-- writes for one job. When the job is off the usual path (its queue has no number yet or one of
-- 1024 and up, the QUEUED index is empty, the bucket for the id is full, or Lua does not compare
-- strings by bytes here), it stores nothing and answers 'GENERAL': the store then sends the job
-- to enqueue-plain.lua.
-- KEYS[1] the known-queues set, KEYS[2] the key that exists while someone watches events
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3..7] id, task, queue, head, tail (as in
-- enqueue-plain.lua)
-- Hand-off: when a worker stands on the queue (see claim.lua and includes/stand.lua), the queue holds no entry, nobody
-- watches events, the queue is not paused and no scheduled job is due, the job is not queued
-- but started at once (for a worker whose queues served before this one hold no entry) under the
-- standing claim's token, as a claim would start it, and the worker is sent it on its own
-- channel ('hand:<incarnation>': 'started|leaseExpiry|token|queue|entry'). The worker then starts
-- it without a claim's round trip. Standing claims that expired or were withdrawn are dropped here.
-- Returns 'OK|<now>' or 'GENERAL'.
-- @include queued
local id, queue = ARGV[3], ARGV[5]
-- The queue's number and head position, the QUEUED index's last bucket (see qlast_update), and
-- whether workers may stand on the queue.
local v = redis.call('HMGET', QNUM, queue, '^' .. queue, '#ll', '#ln', '~' .. queue)
local qn, low, n = tonumber(v[1]), v[3], v[4]
if not qn or qn >= QUEUE_NUMBERS or not low or not BYTE_ORDER then return 'GENERAL' end
if v[5] and redis.call('LLEN', P .. 'queue:' .. queue) == 0 and redis.call('EXISTS', KEYS[2]) == 0
    and redis.call('SISMEMBER', P .. 'paused', queue) == 0
    and not redis.call('ZRANGEBYSCORE', P .. 'scheduled', '-inf', NOW_S, 'LIMIT', 0, 1)[1] then
  local standq = P .. 'standq:' .. queue
  local standing = redis.call('HGETALL', standq)
  local kept = false
  for i = 1, #standing, 2 do
    -- The entry: '\0' and each queue the worker serves before this one.
    local inc, entry = standing[i], standing[i + 1]
    local stand = redis.call('HGET', P .. 'stand', inc)
    local token, until_ms, lease_ms, queues, worker
    -- (`stand_fields` of includes/stand.lua, inline: this script defines no more functions.)
    if stand then token, until_ms, lease_ms, queues, worker = string.match(stand, '^([^|!]*)|(%d+)|(%d+)|([^|]*)|(.*)$') end
    if not token or tonumber(until_ms) <= NOW then
      -- Withdrawn, consumed, replaced or lapsed.
      redis.call('HDEL', standq, inc)
    else
      -- A worker with jobs waiting in a queue it serves first stays standing: it claims those.
      local busy, at = false, string.find(entry, '\0', 1, true)
      while at and not busy do
        local next_at = string.find(entry, '\0', at + 1, true)
        busy = redis.call('LLEN', P .. 'queue:' .. string.sub(entry, at + 1, (next_at or 0) - 1)) > 0
        at = next_at
      end
      if not busy then
        redis.call('HDEL', standq, inc)
        local job_entry = ARGV[6] .. '\0' .. id .. '\0' .. ARGV[4] .. '\0' .. NOW_S .. ARGV[7]
        local expires_s = string.format('%d', NOW + tonumber(lease_ms))
        lease_packed(job_entry, queue, token, worker, inc)
        redis.call('ZADD', P .. 'leases', expires_s, id, '+inf', LEASES_ANCHOR)
        redis.call('HINCRBY', P .. 'counts', queue .. '|PROCESSING', 1)
        redis.call('HSET', P .. 'stand', inc, '!' .. token .. '|' .. id .. '|' .. NOW_S .. '|' .. queues .. '|' .. worker)
        redis.call('SADD', KEYS[1], queue)
        redis.call('PUBLISH', P .. 'hand:' .. inc, NOW_S .. '|' .. expires_s .. '|' .. token .. '|' .. queue .. '|' .. job_entry)
        return 'OK|' .. NOW_S
      end
      kept = true
    end
  end
  -- No standing claim is left on the queue: none is looked for until a worker stands again.
  if not kept then redis.call('HDEL', QNUM, '~' .. queue) end
end
if id < low then
  -- An id below the last bucket (a producer whose clock is behind): its bucket, found as qbucket
  -- finds it (an id below every bucket takes the general script).
  local member = redis.call('ZREVRANGEBYLEX', QDIR, '(' .. id .. '\1', '-', 'LIMIT', 0, 1)[1]
  if not member then return 'GENERAL' end
  low, n = string.match(member, '^(.-)%z(%d+)$')
end
local bucket = P .. 'qi:' .. n
if redis.call('HLEN', bucket) >= QBUCKET_MAX then return 'GENERAL' end
local length = redis.call('RPUSH', P .. 'queue:' .. queue, ARGV[6] .. '\0' .. id .. '\0' .. ARGV[4] .. '\0' .. NOW_S .. ARGV[7])
-- Its place: position number (head + list index) * 1024 + queue number.
redis.call('HSET', bucket, id, ((tonumber(v[2]) or 0) + length - 1) * QUEUE_NUMBERS + qn)
if length == 1 then
  redis.call('SADD', KEYS[1], queue)
  redis.call('PUBLISH', P .. 'wake', queue)
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XADD', P .. 'stream', 'MAXLEN', '~', 10000, '*', 'j', id, 'q', queue, 't', ARGV[4],
    'e', '{"type":"job:enqueued","at":' .. NOW_S .. ',"status":"QUEUED","attempt":0}')
end
return 'OK|' .. NOW_S
