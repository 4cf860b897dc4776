-- enqueue-plain: stores a batch of plain jobs, each packed in its queue list (see
-- includes/queued.lua). A plain job has an id the client made for it (no duplicate check: it
-- carries 80 random bits), goes straight to QUEUED and has no idempotency key, project, user or
-- delay; every other job goes through enqueue.lua. This is the single-job enqueue's hot path,
-- so the client builds the parts of each entry it knows, and the script adds the creation time.
-- KEYS[1] the known-queues set (also routes the call in a Cluster), KEYS[2] the key that exists while
-- someone watches events (then each job's job:enqueued event goes to the stream, as emit() writes it)
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), then 5 per job: id, task, queue, head, tail,
-- where head is '' or '\0\0' .. the extra JSON of the job's meta (as enqueue.lua stores it) and
-- tail is '\0' opts '\0' rttl '\0' fttl '\0' payload (each of the first three '' when it is the
-- PACKED_ value).
-- Returns 'OK|<now>'; or 'GENERAL', with nothing stored, when a queue's number is too high for
-- packed places (the store then sends the batch to enqueue.lua).
-- @include queued
local W = 5
local lists, order = {}, {}
for b = 2, #ARGV - 1, W do
  local queue = ARGV[b + 3]
  local list = lists[queue]
  if not list then
    -- One read for the queue's number and head, and the QUEUED index's last bucket.
    local v = redis.call('HMGET', QNUM, queue, '^' .. queue, '#ll', '#ln')
    local qn = tonumber(v[1]) or queue_number(queue)
    if qn >= QUEUE_NUMBERS then return 'GENERAL' end
    list = {qn = qn, head = tonumber(v[2]) or 0}
    lists[queue] = list
    order[#order + 1] = queue
    if not qcache then qbucket_last(ARGV[b + 1], v[3], v[4]) end
  end
  list[#list + 1] = b
end
local SLICE = 2000
-- Someone watches events: each job's job:enqueued goes to the stream (as emit() writes it).
local watched = redis.call('EXISTS', KEYS[2]) == 1
for _, queue in ipairs(order) do
  local list = lists[queue]
  local entries = {}
  for k, b in ipairs(list) do
    entries[k] = ARGV[b + 4] .. '\0' .. ARGV[b + 1] .. '\0' .. ARGV[b + 2] .. '\0' .. NOW_S .. ARGV[b + 5]
  end
  local qkey, length = P .. 'queue:' .. queue, 0
  for from = 1, #entries, SLICE do
    length = redis.call('RPUSH', qkey, unpack(entries, from, math.min(from + SLICE - 1, #entries)))
  end
  -- The first new entry's position number, then one index entry per job (see qindex_add).
  local first, qn = list.head + length - #entries, list.qn
  for k, b in ipairs(list) do qindex_add(ARGV[b + 1], (first + k - 1) * QUEUE_NUMBERS + qn) end
  -- A list that was empty: a queue to know of, and workers to wake.
  if length == #entries then
    redis.call('SADD', KEYS[1], queue)
    redis.call('PUBLISH', P .. 'wake', queue)
  end
  if watched then
    local body = '{"type":"job:enqueued","at":' .. NOW_S .. ',"status":"QUEUED","attempt":0}'
    for _, b in ipairs(list) do
      redis.call('XADD', P .. 'stream', 'MAXLEN', '~', 10000, '*', 'j', ARGV[b + 1], 'q', queue, 't', ARGV[b + 2], 'e', body)
    end
  end
end
return 'OK|' .. NOW_S
