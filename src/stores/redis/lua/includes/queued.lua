-- Waiting jobs: packed queue-list entries and the bucketed QUEUED index (see decision 0007).
-- @include base
-- Waiting (QUEUED) jobs. A queue is a list, head first, of three kinds of entries:
--   a packed job, '\0' id '\0' task '\0' created '\0' opts '\0' rttl '\0' fttl '\0' payload, for a
--     job enqueued straight to QUEUED without an idempotency key: it has no hash until a worker
--     claims it (created is the time in ms; opts, rttl and fttl are '' when they are the PACKED_
--     values). A job with meta, project or user has '\0\0' extra in front, extra being the
--     enqueue argument's JSON of them (m, p, u); ids are never empty, so '\0\0' tells it apart;
--   a job id, for a waiting job that has a hash (retries, releases, jobs with meta, ...);
--   '' (a gap), where a waiting job was cancelled or deleted: claims skip it.
-- Entries keep a position number from push to pop: the entry at list index i has number
-- head + i, head ('^<queue>' in `qnum`) moving with pops and head pushes. Removals leave gaps
-- (counted in `counts` as `<queue>|gaps`) so that the entries behind them keep their numbers.
local PACKED_OPTS, PACKED_RTTL, PACKED_FTTL = '[3,600000,1000,3600000,2,0.2,0]', '86400', '604800'

-- Starts a packed job's first attempt under `token` (a claim, or a hand-off to a standing worker,
-- see enqueue-one.lua): its hash is written now, with the entry as one field, 'pk' (see
-- PK_FIELDS), and its own 'rttl' only when the entry's is not the usual one (completions read
-- it). The fields completions look up come first: a hash is searched from the front. The id and
-- rttl are cut out with plain searches for NUL (a pattern with character classes costs several
-- times more per byte). Returns the id.
local function lease_packed(entry, queue, token, worker, inc)
  local from = 2
  if string.byte(entry, 2) == 0 then from = string.find(entry, '\0', 3, true) + 1 end
  local id_end = string.find(entry, '\0', from, true)
  local id = string.sub(entry, from, id_end - 1)
  local at = id_end
  for _ = 1, 3 do at = string.find(entry, '\0', at + 1, true) end
  local rttl_end = string.find(entry, '\0', at + 1, true)
  local key = P .. 'job:' .. id
  if rttl_end == at + 1 then
    redis.call('HSET', key, 'status', 'PROCESSING', 'token', token, 'queue', queue, 'attempt', '1', 'started', NOW_S,
      'worker', worker, 'inc', inc, 'pk', entry)
  else
    redis.call('HSET', key, 'status', 'PROCESSING', 'token', token, 'queue', queue, 'rttl', string.sub(entry, at + 1, rttl_end - 1),
      'attempt', '1', 'started', NOW_S, 'worker', worker, 'inc', inc, 'pk', entry)
  end
  return id
end

-- `leases` always holds this member too, with score +inf (readers of the whole set stop before
-- +inf): it is longer than zset-max-listpack-value (64 bytes by default), so Redis keeps the set
-- in its skiplist encoding. In the compact encoding every lease added searched the set from the
-- front, parsing each score, which cost a claim about 6% of its work at 50 running jobs. Job ids
-- never hold NUL, so it is no job's id.
local LEASES_ANCHOR = '\0leases anchor: a member longer than zset-max-listpack-value keeps this sorted set a skiplist'

-- Queue numbers (for packed jobs' places): `qnum` maps a queue to its number, '#<n>' back to the
-- queue and '#' to the last number given. Only queues numbered below 1024 hold packed jobs.
-- `qnum` also keeps each queue's head position number ('^<queue>', see below) and the QUEUED
-- index's last bucket ('#ll', '#ln', see qlast_update), and '~<queue>' while workers may stand
-- on the queue (see claim.lua), so that one HMGET serves an enqueue. (Queue names start with a
-- letter or digit: they never clash with these fields.)
local QNUM = P .. 'qnum'
local QUEUE_NUMBERS = 1024
local queue_numbers = {}
local function queue_number(queue)
  local n = queue_numbers[queue]
  if n then return n end
  local key = QNUM
  n = tonumber(redis.call('HGET', key, queue))
  if not n then
    n = redis.call('HINCRBY', key, '#', 1)
    redis.call('HSET', key, queue, n, '#' .. n, queue)
  end
  queue_numbers[queue] = n
  return n
end

-- The QUEUED index: ids of waiting jobs in buckets of at most QBUCKET_MAX, each a small hash
-- (kept in Redis's compact listpack encoding, about 40 bytes an id) mapping the id to '' (the job
-- has a hash) or a packed job's place, position number * 1024 + queue number. The sorted set
-- `qdir` (score 0) names each bucket by the lowest id it may hold, '<lowest id>\0<number>'; the
-- first bucket's lowest id is '' and it stays named when empty. Buckets split in two when full
-- (or, when ids come in order, the next one starts at the new id); an empty one is dropped.
local QDIR = P .. 'qdir'
local QBUCKET_MAX = 120
local qcache = nil

-- The head position number of a queue's list (0 until its first pop), and a change of it.
local function queue_head(queue) return tonumber(redis.call('HGET', QNUM, '^' .. queue)) or 0 end
local function move_head(queue, by) redis.call('HINCRBY', QNUM, '^' .. queue, by) end

-- Records the last bucket of `qdir` in `qnum` ('#ll' its lowest id, '#ln' its number): ids
-- made by clients mostly come in order, so an enqueue's id usually belongs there, and one HMGET
-- (with the queue's number and head) finds it instead of a search of `qdir`. Every change of
-- `qdir` calls this.
local function qlast_update()
  local last = redis.call('ZRANGE', QDIR, -1, -1)[1]
  if last then
    local low, n = string.match(last, '^(.-)%z(%d+)$')
    redis.call('HSET', QNUM, '#ll', low, '#ln', n)
  else
    redis.call('HDEL', QNUM, '#ll', '#ln')
  end
end

-- Takes the last bucket as the bucket of `id` when `id` is not below its lowest id (`low` and
-- `n` as read from '#ll' and '#ln'; false when unknown). Its `qdir` member is made only if
-- needed (`low .. '\0' .. n`).
local function qbucket_last(id, low, n)
  if not low or not n or lt(id, low) then return end
  qcache = {key = P .. 'qi:' .. n, low = low, n = n, high = false, first = id}
end
-- The bucket that holds (or would hold) `id`: {key, low, high, member}, cached for the other ids
-- of the call in the same range (its upper end is looked up only when a second id asks).
local function qbucket(id)
  local b = qcache
  if b and not lt(id, b.low) then
    if b.first == id then return b end
    if b.high == nil then
      local above = redis.call('ZRANGEBYLEX', QDIR, '(' .. (b.member or b.low .. '\0' .. b.n), '+', 'LIMIT', 0, 1)[1]
      b.high = above and string.match(above, '^(.-)%z') or false
    end
    if not b.high or lt(id, b.high) then return b end
  end
  local member = redis.call('ZREVRANGEBYLEX', QDIR, '(' .. id .. '\1', '-', 'LIMIT', 0, 1)[1]
  -- Below every bucket: an id that starts with NUL, which no job has (the first bucket answers,
  -- and a lookup of it adds no bucket), or an empty index, which gets its first bucket.
  member = member or redis.call('ZRANGE', QDIR, 0, 0)[1]
  if not member then
    member = '\0' .. redis.call('HINCRBY', QNUM, '#bucket', 1)
    redis.call('ZADD', QDIR, 0, member)
    qlast_update()
  end
  local low, n = string.match(member, '^(.-)%z(%d+)$')
  b = {key = P .. 'qi:' .. n, low = low, member = member, first = id}
  qcache = b
  return b
end

local function qindex_get(id)
  return redis.call('HGET', qbucket(id).key, id)
end

-- Removes ids from the index: one HDEL per bucket, and the bucket's name once it is empty.
local function qindex_del(ids)
  local groups, order = {}, {}
  for _, id in ipairs(ids) do
    local b = qbucket(id)
    local group = groups[b.key]
    if not group then group = {b = b}; groups[b.key] = group; order[#order + 1] = group end
    group[#group + 1] = id
  end
  for _, group in ipairs(order) do
    redis.call('HDEL', group.b.key, unpack(group))
    if group.b.low ~= '' and redis.call('EXISTS', group.b.key) == 0 then
      redis.call('ZREM', QDIR, group.b.member or group.b.low .. '\0' .. group.b.n)
      qlast_update()
      qcache = nil
    end
  end
end

-- Splits a full bucket before `id` goes in.
local function qsplit(b, id)
  local ids = redis.call('HKEYS', b.key)
  local top = ids[1]
  for i = 2, #ids do if lt(top, ids[i]) then top = ids[i] end end
  local n = redis.call('HINCRBY', QNUM, '#bucket', 1)
  local low = id
  if not lt(top, id) then
    table.sort(ids, lt)
    local moved = {}
    for i = math.floor(#ids / 2) + 1, #ids do moved[#moved + 1] = ids[i] end
    local values = redis.call('HMGET', b.key, unpack(moved))
    local args = {}
    for i = 1, #moved do args[#args + 1] = moved[i]; args[#args + 1] = values[i] end
    redis.call('HSET', P .. 'qi:' .. n, unpack(args))
    redis.call('HDEL', b.key, unpack(moved))
    low = moved[1]
  end
  redis.call('ZADD', QDIR, 0, low .. '\0' .. n)
  qlast_update()
  qcache = nil
end

local function qindex_add(id, value)
  local b = qbucket(id)
  if not b.len then b.len = redis.call('HLEN', b.key) end
  if b.len >= QBUCKET_MAX then
    qsplit(b, id)
    b = qbucket(id)
    b.len = redis.call('HLEN', b.key)
  end
  b.len = b.len + redis.call('HSET', b.key, id, value)
end

-- Up to `chunk` ids of the index below `after` ('' = from the newest), newest first.
local function qindex_page(after, chunk)
  local out = {}
  local bound = after == '' and '+' or '(' .. after
  while true do
    local members = redis.call('ZREVRANGEBYLEX', QDIR, bound, '-', 'LIMIT', 0, 8)
    for _, member in ipairs(members) do
      local ids = redis.call('HKEYS', P .. 'qi:' .. string.match(member, '%z(%d+)$'))
      table.sort(ids, gt)
      for _, id in ipairs(ids) do
        if after == '' or lt(id, after) then
          out[#out + 1] = id
          if #out >= chunk then return out end
        end
      end
      bound = '(' .. member
    end
    if #members < 8 then return out end
  end
end

-- Pops the gaps at the head of a queue's list, so that its head is a waiting job or the list
-- is gone: stats read the head, and only an empty list makes an enqueue wake the workers. Each
-- gap is popped once, here or by a claim; at most 10,000 per call (a longer run of cancelled
-- jobs is popped over the next claims, and until then an enqueue into it wakes no one: idle
-- workers still claim every 10 s).
local function trim_gaps(queue)
  local qkey = P .. 'queue:' .. queue
  local popped = 0
  for _ = 1, 100 do
    if redis.call('LINDEX', qkey, 0) ~= '' then break end
    local head = redis.call('LRANGE', qkey, 0, 99)
    local n = 0
    while n < #head and head[n + 1] == '' do n = n + 1 end
    redis.call('LPOP', qkey, n)
    popped = popped + n
  end
  if popped > 0 then
    move_head(queue, popped)
    -- Back to no gaps: the field goes (a claim's own gap count is still to come only when
    -- the list holds more gaps, so it cannot be 0 then).
    if redis.call('HINCRBY', P .. 'counts', queue .. '|gaps', -popped) == 0 then redis.call('HDEL', P .. 'counts', queue .. '|gaps') end
  end
end

-- A packed list entry as the hash fields its job would have (QUEUED), or nil.
local function unpack_entry(entry, queue)
  local extra = ''
  if string.byte(entry, 2) == 0 then extra, entry = string.match(entry, '^%z%z([^%z]*)(%z.*)$') end
  if not entry then return nil end
  local id, task, created, opts, rttl, fttl, payload =
    string.match(entry, '^%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z(.*)$')
  if not id then return nil end
  local fields = {id = id, task = task, queue = queue, payload = payload, opts = opts ~= '' and opts or PACKED_OPTS,
    created = created, enqueued = created, status = 'QUEUED', rttl = rttl ~= '' and rttl or PACKED_RTTL,
    fttl = fttl ~= '' and fttl or PACKED_FTTL}
  if extra ~= '' then
    local x = cjson.decode(extra)
    fields.meta, fields.project, fields.user = x.m, x.p, x.u
  end
  return fields
end

-- The stored fields of a packed job, in HGETALL's flat form.
local PACKED_FIELDS = {'task', 'queue', 'payload', 'opts', 'created', 'enqueued', 'status', 'rttl', 'fttl', 'meta', 'project', 'user'}
local function packed_flat(fields)
  local flat = {}
  for _, name in ipairs(PACKED_FIELDS) do
    if fields[name] then flat[#flat + 1] = name; flat[#flat + 1] = fields[name] end
  end
  return flat
end

-- A waiting job that has no hash: its fields (see unpack_entry) and list index `at`, or nil.
local function find_packed(id)
  local place = tonumber(qindex_get(id))
  if not place then return nil end
  local qn = place % QUEUE_NUMBERS
  local queue = redis.call('HGET', QNUM, '#' .. qn)
  if not queue then return nil end
  local at = (place - qn) / QUEUE_NUMBERS - queue_head(queue)
  local entry = at >= 0 and redis.call('LINDEX', P .. 'queue:' .. queue, at)
  local fields = entry and unpack_entry(entry, queue)
  if not fields or fields.id ~= id then return nil end
  fields.at = at
  return fields
end

-- A claimed packed job keeps its list entry in its hash as one field, 'pk', instead of the
-- fields the entry holds (a short hash is much cheaper to write and search): those fields are
-- read from 'pk' unless the hash has its own (a requeue writes its own 'enqueued', say).
local PK_FIELDS = {task = true, payload = true, opts = true, created = true, enqueued = true, rttl = true, fttl = true,
  meta = true, project = true, user = true}

-- A job hash in HGETALL's flat form with 'pk' replaced by the fields it holds.
local function expand_flat(flat)
  local at, have = nil, {}
  for i = 1, #flat, 2 do
    if flat[i] == 'pk' then at = i else have[flat[i]] = true end
  end
  if not at then return flat end
  local out = {}
  for i = 1, #flat, 2 do
    if i ~= at then out[#out + 1] = flat[i]; out[#out + 1] = flat[i + 1] end
  end
  local fields = unpack_entry(flat[at + 1], '')
  if fields then
    for _, name in ipairs(PACKED_FIELDS) do
      if PK_FIELDS[name] and not have[name] and fields[name] then out[#out + 1] = name; out[#out + 1] = fields[name] end
    end
  end
  return out
end

-- A job's stored fields in HGETALL's flat form (empty when there is no such job).
local function read_job(id)
  local flat = redis.call('HGETALL', job_key(id))
  if #flat > 0 then return expand_flat(flat) end
  local fields = find_packed(id)
  return fields and packed_flat(fields) or flat
end
