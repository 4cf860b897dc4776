-- Shared by every script: the namespace prefix (ARGV[1]), the clock (ARGV[2]: the test clock in
-- ms, or '' for the server's TIME), status-index and counter upkeep, events and wake-ups.
-- Per-job keys are built here from the prefix; they share the namespace hash tag, so they live
-- in the same Cluster slot as the declared KEYS.
local P = ARGV[1]
local NOW
do
  if ARGV[2] ~= nil and ARGV[2] ~= '' then
    NOW = tonumber(ARGV[2])
  else
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
end

-- NOW as text, made once: Lua turns a number into text with sprintf (about 1 µs a time on a
-- slow core), and hot paths would otherwise do it per job and per argument.
local NOW_S = string.format('%d', NOW)

local function job_key(id) return P .. 'job:' .. id end

-- Waiting (QUEUED) jobs. A queue is a list, head first, of three kinds of entries:
--   a packed job, '\0' id '\0' task '\0' created '\0' opts '\0' rttl '\0' fttl '\0' payload, for a
--     job enqueued straight to QUEUED with no meta, project, user or idempotency key: it has no
--     hash until a worker claims it (created is in base 36; opts, rttl and fttl are '' when they
--     are the PACKED_ values);
--   a job id, for a waiting job that has a hash (retries, releases, jobs with meta, ...);
--   '' (a gap), where a waiting job was cancelled or deleted: claims skip it.
-- Entries keep a position number from push to pop: the entry at list index i has number
-- head + i, head (`qhead`, per queue) moving with pops and head pushes. Removals leave gaps
-- (counted in `counts` as `<queue>|gaps`) so that the entries behind them keep their numbers.
local PACKED_OPTS, PACKED_RTTL, PACKED_FTTL = '[3,600000,1000,3600000,2,0.2,0]', '86400', '604800'

-- A whole number >= 0 in base 36 (a packed job's creation time: 8 characters instead of 13).
local function base36(n)
  local digits, text = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  repeat
    local d = n % 36
    text = string.sub(digits, d + 1, d + 1) .. text
    n = (n - d) / 36
  until n == 0
  return text
end

-- Queue numbers (for packed jobs' places): `qnum` maps a queue to its number, '#<n>' back to the
-- queue and '#' to the last number given. Only queues numbered below 1024 hold packed jobs.
local QUEUE_NUMBERS = 1024
local queue_numbers = {}
local function queue_number(queue)
  local n = queue_numbers[queue]
  if n then return n end
  local key = P .. 'qnum'
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
-- The bucket that holds (or would hold) `id`: {key, low, high, member}, cached for the other ids
-- of the call in the same range (its upper end is looked up only when a second id asks).
local function qbucket(id)
  local b = qcache
  if b and id >= b.low then
    if b.first == id then return b end
    if b.high == nil then
      local above = redis.call('ZRANGEBYLEX', QDIR, '(' .. b.member, '+', 'LIMIT', 0, 1)[1]
      b.high = above and string.match(above, '^(.-)%z') or false
    end
    if not b.high or id < b.high then return b end
  end
  local member = redis.call('ZREVRANGEBYLEX', QDIR, '(' .. id .. '\1', '-', 'LIMIT', 0, 1)[1]
  if not member then
    member = '\0' .. redis.call('HINCRBY', P .. 'qnum', '#bucket', 1)
    redis.call('ZADD', QDIR, 0, member)
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
      redis.call('ZREM', QDIR, group.b.member)
      qcache = nil
    end
  end
end

-- Splits a full bucket before `id` goes in.
local function qsplit(b, id)
  local ids = redis.call('HKEYS', b.key)
  local top = ids[1]
  for i = 2, #ids do if ids[i] > top then top = ids[i] end end
  local n = redis.call('HINCRBY', P .. 'qnum', '#bucket', 1)
  local low = id
  if id <= top then
    table.sort(ids)
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
      table.sort(ids, function(a, b) return a > b end)
      for _, id in ipairs(ids) do
        if after == '' or id < after then
          out[#out + 1] = id
          if #out >= chunk then return out end
        end
      end
      bound = '(' .. member
    end
    if #members < 8 then return out end
  end
end

-- A packed list entry as the hash fields its job would have (QUEUED), or nil.
local function unpack_entry(entry, queue)
  local id, task, created, opts, rttl, fttl, payload =
    string.match(entry, '^%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)%z(.*)$')
  if not id then return nil end
  created = string.format('%d', tonumber(created, 36))
  return {id = id, task = task, queue = queue, payload = payload, opts = opts ~= '' and opts or PACKED_OPTS,
    created = created, enqueued = created, status = 'QUEUED', rttl = rttl ~= '' and rttl or PACKED_RTTL,
    fttl = fttl ~= '' and fttl or PACKED_FTTL}
end

-- The stored fields of a packed job, in HGETALL's flat form.
local PACKED_FIELDS = {'task', 'queue', 'payload', 'opts', 'created', 'enqueued', 'status', 'rttl', 'fttl'}
local function packed_flat(fields)
  local flat = {}
  for _, name in ipairs(PACKED_FIELDS) do flat[#flat + 1] = name; flat[#flat + 1] = fields[name] end
  return flat
end

-- A waiting job that has no hash: its fields (see unpack_entry) and list index `at`, or nil.
local function find_packed(id)
  local place = tonumber(qindex_get(id))
  if not place then return nil end
  local qn = place % QUEUE_NUMBERS
  local queue = redis.call('HGET', P .. 'qnum', '#' .. qn)
  if not queue then return nil end
  local at = (place - qn) / QUEUE_NUMBERS - (tonumber(redis.call('HGET', P .. 'qhead', queue)) or 0)
  local entry = at >= 0 and redis.call('LINDEX', P .. 'queue:' .. queue, at)
  local fields = entry and unpack_entry(entry, queue)
  if not fields or fields.id ~= id then return nil end
  fields.at = at
  return fields
end

-- A job's stored fields in HGETALL's flat form (empty when there is no such job).
local function read_job(id)
  local flat = redis.call('HGETALL', job_key(id))
  if #flat > 0 then return flat end
  local fields = find_packed(id)
  return fields and packed_flat(fields) or flat
end

-- QUEUED is counted by LLEN of the queue lists (less their gaps); other statuses by a counter
-- per queue. PROCESSING has no status index: its jobs are the members of `leases` (listings
-- read that); QUEUED has its own (the QUEUED index above).
local function indexed(status) return status ~= 'PROCESSING' and status ~= 'QUEUED' end

local function set_status(id, queue, from, to)
  if from then
    if from == 'QUEUED' then qindex_del({id}) elseif indexed(from) then redis.call('ZREM', P .. 'status:' .. from, id) end
    if from ~= 'QUEUED' then redis.call('HINCRBY', P .. 'counts', queue .. '|' .. from, -1) end
  end
  if to then
    if to == 'QUEUED' then qindex_add(id, '') elseif indexed(to) then redis.call('ZADD', P .. 'status:' .. to, 0, id) end
    if to ~= 'QUEUED' then redis.call('HINCRBY', P .. 'counts', queue .. '|' .. to, 1) end
  end
end

-- Counter changes of a batch (enqueue, claim, complete), summed per field so that each field
-- takes one HINCRBY per script call instead of one per job. Fields are `<queue>|<status>` of
-- `counts`; `flush_counts` sends them in the order first used, and the script must call it
-- before returning.
local COUNTS = P .. 'counts'
local count_fields, count_sums = {}, {}
local function count_later(field, by)
  if not count_sums[field] then count_fields[#count_fields + 1] = field; count_sums[field] = 0 end
  count_sums[field] = count_sums[field] + by
end

local function flush_counts()
  for _, field in ipairs(count_fields) do
    if count_sums[field] ~= 0 then redis.call('HINCRBY', COUNTS, field, count_sums[field]) end
  end
  count_fields, count_sums = {}, {}
end

local function event_body(job, etype, status, extra, at)
  local body = '{"type":"' .. etype .. '","at":' .. (at or NOW) .. ',"status":"' .. status .. '"'
  body = body .. ',"attempt":' .. (job.attempt or 0)
  if job.worker then body = body .. ',"worker":' .. cjson.encode(job.worker) end
  if extra and extra ~= '' then body = body .. ',' .. extra end
  return body .. '}'
end

-- A claim writes no job:started entry to the timeline (jobEvents rebuilds it from the hash while
-- the job runs): the attempt's first timeline write carries it, so a short job costs one RPUSH.
-- Returns that entry when it is still due (`job` must hold status, started, enqueued, attempt,
-- worker and sf, the mark that progress already wrote it), and marks it written.
local function pending_start(job)
  if job.status ~= 'PROCESSING' or not job.started or job.sf then return nil end
  job.sf = '1'
  local started = tonumber(job.started)
  return event_body(job, 'job:started', 'PROCESSING', '"durationMs":' .. (started - (tonumber(job.enqueued) or started)), job.started)
end

local watching = nil
-- Whether someone watches the shared event stream (read once per script call).
local function is_watching()
  if watching == nil then watching = redis.call('EXISTS', P .. 'watching') == 1 end
  return watching
end
-- Appends to the job's timeline (after the attempt's pending start entry, if any); the shared
-- stream is written only while someone watches. `stream_only` skips the timeline (first events
-- are rebuilt from the job hash, a claim's start too; removals have none).
local function emit(id, job, etype, status, extra, stream_only)
  is_watching()
  -- Nobody to tell: claims and most completions build no event text at all.
  if stream_only and not watching then return end
  local body = event_body(job, etype, status, extra)
  if not stream_only then
    local timeline = P .. 'events:' .. id
    local start = pending_start(job)
    if start then redis.call('RPUSH', timeline, start, body) else redis.call('RPUSH', timeline, body) end
    if etype == 'job:progress' then redis.call('LTRIM', timeline, -500, -1) end
  end
  if watching then
    redis.call('XADD', P .. 'stream', 'MAXLEN', '~', 10000, '*', 'j', id, 'q', job.queue, 't', job.task, 'e', body)
  end
end

-- Announces work only when a queue goes from empty to non-empty: busy queues cost nothing.
local function wake(queue, length, pushed)
  if length == pushed then redis.call('PUBLISH', P .. 'wake', queue) end
end

-- Puts a job at the tail (or head) of its queue as QUEUED.
local function to_queue(id, job, from, head)
  local qkey = P .. 'queue:' .. job.queue
  local length
  if head then
    length = redis.call('LPUSH', qkey, id)
    redis.call('HINCRBY', P .. 'qhead', job.queue, -1)
  else
    length = redis.call('RPUSH', qkey, id)
  end
  set_status(id, job.queue, from, 'QUEUED')
  wake(job.queue, length, 1)
end

-- Reads the fields a transition needs into a table. For a packed waiting job (no hash), they
-- come from its list entry, and `job.packed` holds all its fields and list index (`at`).
local function load(id, ...)
  local names = {...}
  local values = redis.call('HMGET', job_key(id), unpack(names))
  local job, any = {}, false
  for i, name in ipairs(names) do
    if values[i] then job[name] = values[i]; any = true end
  end
  if any then return job end
  local packed = find_packed(id)
  if packed then
    for _, name in ipairs(names) do job[name] = packed[name] end
    job.packed = packed
  end
  return job
end

-- Takes a waiting job out of its queue list. Its entry becomes a gap, so the entries behind it
-- keep their position numbers; a list left with gaps only is deleted. A packed job that lives
-- on (`keep`: it is cancelled, not deleted) gets its hash first.
local function unqueue(id, job, keep)
  local qkey = P .. 'queue:' .. job.queue
  local at = job.packed and job.packed.at or redis.call('LPOS', qkey, id)
  if at then
    redis.call('LSET', qkey, at, '')
    local gaps_field = job.queue .. '|gaps'
    local length = redis.call('LLEN', qkey)
    if redis.call('HINCRBY', P .. 'counts', gaps_field, 1) >= length then
      redis.call('DEL', qkey)
      redis.call('HDEL', P .. 'counts', gaps_field)
      redis.call('HINCRBY', P .. 'qhead', job.queue, length)
    end
  end
  if keep and job.packed then redis.call('HSET', job_key(id), unpack(packed_flat(job.packed))) end
end

-- Deletes a job with its timeline and every index entry.
local function delete_job(id)
  local job = load(id, 'queue', 'status', 'project', 'user', 'idem')
  if not job.status then return false end
  if job.status == 'QUEUED' then unqueue(id, job, false) end
  set_status(id, job.queue, job.status, nil)
  redis.call('ZREM', P .. 'scheduled', id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('ZREM', P .. 'expiry', id)
  if job.project then redis.call('ZREM', P .. 'project:' .. job.project, id) end
  if job.user then redis.call('ZREM', P .. 'user:' .. job.user, id) end
  if job.idem then redis.call('HDEL', P .. 'idem', job.idem) end
  redis.call('DEL', job_key(id), P .. 'events:' .. id)
  return true
end

-- Drops the lease of a running job (its token stops being valid at once).
local function clear_lease(id, keep_fields)
  if not keep_fields then redis.call('HDEL', job_key(id), 'token', 'inc') end
  redis.call('ZREM', P .. 'leases', id)
end

-- Adds `n` to `field` of a hash of time buckets; when that starts a new bucket and the hash
-- holds more than `most` fields, drops the buckets older than `oldest` (bounded by `most`).
local function bump_bucket(key, kind, bucket, n, most, oldest)
  if redis.call('HINCRBY', key, kind .. ':' .. bucket, n) == n and redis.call('HLEN', key) > most then
    for _, field in ipairs(redis.call('HKEYS', key)) do
      local b = tonumber(string.match(field, ':(%d+)$'))
      if b and b < oldest then redis.call('HDEL', key, field) end
    end
  end
end

-- Counts finishes per queue: 10-second buckets for "completed/failed in the last minute"
-- (stats), and minute buckets for the last hour (the dashboard's throughput chart).
local function count_finish(queue, kind, count)
  local n = count or 1
  local bucket = math.floor(NOW / 10000)
  bump_bucket(P .. 'rate:' .. queue, kind, bucket, n, 16, bucket - 7)
  local minute = math.floor(NOW / 60000)
  bump_bucket(P .. 'minutes:' .. queue, kind, minute, n, 124, minute - 61)
end

-- Moves a job to a final status; `fields` are extra hash fields (result, error).
local function finish(id, job, status, ttl_seconds, fields)
  local key = job_key(id)
  -- A final job's token field stays (one command less per job): the status check fences it.
  redis.call('HSET', key, 'status', status, 'completed', NOW, unpack(fields))
  if job.status == 'PROCESSING' then clear_lease(id, true) end
  set_status(id, job.queue, job.status, status)
  redis.call('ZADD', P .. 'expiry', NOW + tonumber(ttl_seconds) * 1000, id)
  if status == 'COMPLETED' then count_finish(job.queue, 'done') elseif status == 'FAILED' then count_finish(job.queue, 'fail') end
end

-- A job whose lease expired (or whose worker restarted): back to the tail, or FAILED past the limit.
local function stall(id, limit, why)
  local job = load(id, 'status', 'queue', 'task', 'attempt', 'worker', 'stalls', 'fttl', 'started', 'enqueued', 'sf')
  if job.status ~= 'PROCESSING' then
    redis.call('ZREM', P .. 'leases', id)
    return nil
  end
  local stalls = (tonumber(job.stalls) or 0) + 1
  redis.call('HSET', job_key(id), 'stalls', stalls)
  if limit >= 0 and stalls > limit then
    local err = '{"code":"STALLED","message":' ..
      cjson.encode('Stalled ' .. stalls .. ' times (' .. why .. '); stall limit is ' .. limit) .. '}'
    finish(id, job, 'FAILED', job.fttl, {'error', err})
    emit(id, job, 'job:failed', 'FAILED', '"error":' .. err)
    return 'failed'
  end
  clear_lease(id)
  redis.call('HSET', job_key(id), 'status', 'QUEUED', 'enqueued', NOW)
  to_queue(id, job, 'PROCESSING', false)
  emit(id, job, 'job:stalled', 'QUEUED')
  return 'requeued'
end

-- Moves up to `limit` due SCHEDULED jobs to the tail of their queues.
local function promote_due(limit)
  local ids = redis.call('ZRANGEBYSCORE', P .. 'scheduled', '-inf', NOW, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    redis.call('ZREM', P .. 'scheduled', id)
    local job = load(id, 'queue', 'task', 'attempt', 'worker')
    redis.call('HSET', job_key(id), 'status', 'QUEUED', 'enqueued', NOW)
    redis.call('HDEL', job_key(id), 'runAt')
    to_queue(id, job, 'SCHEDULED', false)
    emit(id, job, 'job:enqueued', 'QUEUED')
  end
  return #ids
end

-- Puts a FAILED or CANCELED job back to QUEUED with a fresh attempt count.
local function retry_job(id, job)
  local key = job_key(id)
  redis.call('ZREM', P .. 'expiry', id)
  redis.call('HDEL', key, 'attempt', 'stalls', 'error', 'result', 'progress', 'started', 'completed', 'runAt')
  redis.call('HSET', key, 'status', 'QUEUED', 'enqueued', NOW)
  job.attempt = nil
  to_queue(id, job, job.status, false)
  emit(id, job, 'job:enqueued', 'QUEUED')
end
