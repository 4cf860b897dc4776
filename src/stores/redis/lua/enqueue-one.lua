-- enqueue-one: one plain job (see enqueue-plain.lua), on the usual path only. The single awaited
-- enqueue is mostly round trip and fixed script cost, and most of that cost is Lua's own work
-- (closures, tables, garbage), so this script defines no functions and builds no tables of its
-- own. It writes exactly what enqueue-plain.lua writes for one job. When the job is off the usual
-- path (its queue has no number yet or one of 1024 and up, the QUEUED index is empty, the
-- bucket for the id is full, or Lua does not compare strings by bytes here), it stores nothing
-- and answers 'GENERAL': the store then sends the job to enqueue-plain.lua.
-- KEYS[1] the known-queues set, KEYS[2] the key that exists while someone watches events
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3..7] id, task, queue, head, tail (as in
-- enqueue-plain.lua)
-- Returns 'OK|<now>' or 'GENERAL'.
-- @include queued
local id, queue = ARGV[3], ARGV[5]
-- The queue's number and head position, and the QUEUED index's last bucket (see qlast_update).
local v = redis.call('HMGET', QNUM, queue, '^' .. queue, '#ll', '#ln')
local qn, low, n = tonumber(v[1]), v[3], v[4]
if not qn or qn >= QUEUE_NUMBERS or not low or not BYTE_ORDER then return 'GENERAL' end
if id < low then
  -- An id below the last bucket (a producer whose clock is behind): its bucket, as qbucket finds it.
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
