-- Job transitions shared by the scripts: status-index and counter upkeep, events, wake-ups,
-- queue pushes, finishes, promotions and retries (stalls: includes/dependencies.lua).
-- @include queued
-- @include lanes
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

-- Puts a job at the tail (or head) of its queue as QUEUED: the one way back to QUEUED of a job
-- that waited before (promotions, retries, releases, stalls, dependencies). `job` holds the
-- job's 'lk' when it has one (callers load it): a job under limits goes to its lane.
local function to_queue(id, job, from, head)
  if job.lk then
    lane_push(job.queue, lane_of(job.lk), {id}, head)
    set_status(id, job.queue, from, 'QUEUED')
    return
  end
  local qkey = P .. 'queue:' .. job.queue
  local length
  if head then
    length = redis.call('LPUSH', qkey, id)
    move_head(job.queue, -1)
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
  local n = #names
  -- (and 'pk', the entry a claimed packed job keeps: see PK_FIELDS)
  names[n + 1] = 'pk'
  local values = redis.call('HMGET', job_key(id), unpack(names))
  local job, any = {}, false
  for i = 1, n do
    if values[i] then job[names[i]] = values[i]; any = true end
  end
  local pk = values[n + 1]
  if pk then
    local fields = unpack_entry(pk, '') or {}
    for i = 1, n do
      local name = names[i]
      if job[name] == nil and PK_FIELDS[name] then job[name] = fields[name] end
    end
    return job
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
-- keep their position numbers (a gap at the head is popped at once, see trim_gaps). A packed
-- job that lives on (`keep`: it is cancelled, not deleted) gets its hash first.
local function unqueue(id, job, keep)
  if job.lk then return lane_remove(id, job.queue, job.lk) end
  local qkey = P .. 'queue:' .. job.queue
  local at = job.packed and job.packed.at or redis.call('LPOS', qkey, id)
  if at then
    redis.call('LSET', qkey, at, '')
    redis.call('HINCRBY', P .. 'counts', job.queue .. '|gaps', 1)
    if at == 0 then trim_gaps(job.queue) end
  end
  if keep and job.packed then redis.call('HSET', job_key(id), unpack(packed_flat(job.packed))) end
end

-- Forgets a deleted job's dependency edges (decision 0018): each job it depended on counts one
-- dependent less, its own dependents index goes, and it leaves its owner's and its flow's sets.
local function forget_links(id, job)
  if job.deps then
    for _, dep in ipairs(cjson.decode(job.deps)) do
      if redis.call('HDEL', P .. 'dependents:' .. dep, id) == 1 and redis.call('EXISTS', job_key(dep)) == 1 then
        redis.call('HINCRBY', job_key(dep), 'dn', -1)
      end
    end
  end
  if job.dn then redis.call('DEL', P .. 'dependents:' .. id) end
  if job.parent then redis.call('SREM', P .. 'children:' .. job.parent, id) end
  if job.flow and job.flow ~= id then redis.call('SREM', P .. 'flow:' .. job.flow, id) end
  redis.call('DEL', P .. 'children:' .. id, P .. 'flow:' .. id)
end

-- Deletes a job with its timeline and every index entry (a schedule's job leaves that
-- schedule's index, so the index is bounded by retention like the jobs).
local function delete_job(id)
  local job = load(id, 'queue', 'status', 'project', 'user', 'idem', 'sid', 'deps', 'dn', 'parent', 'flow', 'lk')
  if not job.status then return false end
  if job.deps or job.dn or job.parent or job.flow then forget_links(id, job) end
  if job.status == 'QUEUED' then unqueue(id, job, false) end
  set_status(id, job.queue, job.status, nil)
  redis.call('ZREM', P .. 'scheduled', id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('ZREM', P .. 'expiry', id)
  if job.project then redis.call('ZREM', P .. 'project:' .. job.project, id) end
  if job.user then redis.call('ZREM', P .. 'user:' .. job.user, id) end
  if job.idem then redis.call('HDEL', P .. 'idem', job.idem) end
  if job.sid then redis.call('ZREM', P .. 'schedule-jobs:' .. job.sid, id) end
  redis.call('DEL', job_key(id), P .. 'events:' .. id)
  return true
end

-- Drops the lease of a running job (its token stops being valid at once) and frees its limits'
-- slots (`job` holds its 'lk', if it has one): with complete_range, every lease ends here.
local function clear_lease(id, job, keep_fields)
  if not keep_fields then redis.call('HDEL', job_key(id), 'token', 'inc') end
  redis.call('ZREM', P .. 'leases', id)
  if job.lk then free_slots(job.lk) end
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
  if job.status == 'PROCESSING' then clear_lease(id, job, true) end
  set_status(id, job.queue, job.status, status)
  redis.call('ZADD', P .. 'expiry', NOW + tonumber(ttl_seconds) * 1000, id)
  if status == 'COMPLETED' then count_finish(job.queue, 'done') elseif status == 'FAILED' then count_finish(job.queue, 'fail') end
end

-- Moves up to `limit` due SCHEDULED jobs to the tail of their queues.
local function promote_due(limit)
  local ids = redis.call('ZRANGEBYSCORE', P .. 'scheduled', '-inf', NOW, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    redis.call('ZREM', P .. 'scheduled', id)
    local job = load(id, 'queue', 'task', 'attempt', 'worker', 'lk')
    redis.call('HSET', job_key(id), 'status', 'QUEUED', 'enqueued', NOW)
    redis.call('HDEL', job_key(id), 'runAt')
    to_queue(id, job, 'SCHEDULED', false)
    emit(id, job, 'job:enqueued', 'QUEUED')
  end
  return #ids
end

-- Puts a FAILED or CANCELED job back to QUEUED with a fresh attempt count, and counts the
-- retry in `retries` (a field only retried jobs have: absent reads as 0). `job` holds 'lk'.
local function retry_job(id, job)
  local key = job_key(id)
  redis.call('ZREM', P .. 'expiry', id)
  redis.call('HDEL', key, 'attempt', 'stalls', 'error', 'result', 'progress', 'started', 'completed', 'runAt')
  redis.call('HSET', key, 'status', 'QUEUED', 'enqueued', NOW)
  redis.call('HINCRBY', key, 'retries', 1)
  job.attempt = nil
  to_queue(id, job, job.status, false)
  emit(id, job, 'job:enqueued', 'QUEUED')
end
