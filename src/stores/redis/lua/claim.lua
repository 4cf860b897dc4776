-- claim: promotes due SCHEDULED jobs, then takes up to `limit` QUEUED jobs from the queues in
-- strict priority order (skipping paused ones), FIFO within a queue, and leases them. Index and
-- counter writes go out once per call (flush_counts), not once per job.
-- KEYS[1] paused-queues set
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] worker, ARGV[4] incarnation, ARGV[5] limit, ARGV[6] leaseMs,
-- ARGV[7] promote limit, ARGV[8] token base, ARGV[9] n = completions carried,
-- ARGV[10 .. 9 + 3n] (job id, token, result JSON) per completion, then the queue names.
-- Completions a worker has ready when it claims ride along: they are settled first, exactly as
-- complete does (includes/completions.lua), and their writes are done before the claim starts.
-- Returns {'OK', {per completion: 'OK' | 'LEASE_LOST'}, started, leaseExpiry, records}: records
-- is one JSON array text with one array per job, built here so the worker parses one string per
-- claim instead of flat hashes (field order: ClaimRecord in job-hash.ts); what all jobs of the
-- claim share (start time, lease expiry, worker, token base) is sent once, not per record:
-- [id, task, queue, payload, opts, meta, idem, attempt, created, enqueued, runAt, progress,
--  error, stalls, rttl, fttl]; the lease token of the n-th record (from 0) is '<token base>.<n>'.
-- Stored JSON values go in as is.
-- @include job
-- @include completions
local worker, inc = ARGV[3], ARGV[4]
local remaining = tonumber(ARGV[5])
local expires = NOW + tonumber(ARGV[6])
local expires_s = string.format('%d', expires)
local carried = tonumber(ARGV[9])
local settled = {}
complete_range(10, 9 + 3 * carried, settled)
-- The completions are written in full before the claim part starts: Redis does not undo a
-- script that fails, so a claim that errors must not leave them half-recorded.
finish_completions()
flush_counts()
promote_due(tonumber(ARGV[7]))
-- The claimed jobs' records, in claim order.
local records = {}
-- The batch's index writes, sent after the loop: one ZADD to `leases` and one ZREM from the
-- QUEUED index for all jobs, and one counter change per queue.
local lease_args, unqueued = {}, {}
local token_base = ARGV[8] .. '.'
-- Claims one list entry (a packed job or a job id); returns its record.
local function take(entry, queue, queue_json)
  local id, key, h, attempt
  if string.byte(entry) == 0 then
    -- A packed job: its hash is written now, in full. The fields are listed here rather than
    -- built with packed_flat: that table costs about 1.4 µs per claimed job.
    h = unpack_entry(entry, queue)
    id, key, attempt = h.id, P .. 'job:' .. h.id, '1'
    redis.call('HSET', key, 'task', h.task, 'queue', queue, 'payload', h.payload, 'opts', h.opts, 'created', h.created,
      'enqueued', h.created, 'rttl', h.rttl, 'fttl', h.fttl, 'status', 'PROCESSING', 'attempt', attempt,
      'started', NOW_S, 'worker', worker, 'inc', inc, 'token', token_base .. #records)
    -- Meta, project and user (less usual): their own write.
    if h.meta then redis.call('HSET', key, 'meta', h.meta) end
    if h.project then redis.call('HSET', key, 'project', h.project) end
    if h.user then redis.call('HSET', key, 'user', h.user) end
  else
    id, key = entry, P .. 'job:' .. entry
    -- Read once before the update: the whole hash in one pass (HMGET would search the
    -- listpack once per field, and a field a waiting job lacks costs a full search).
    local flat = redis.call('HGETALL', key)
    h = {}
    for j = 1, #flat, 2 do h[flat[j]] = flat[j + 1] end
    -- Numbers become text once each (see NOW_S); a first attempt needs no conversion.
    attempt = h.attempt and tostring(tonumber(h.attempt) + 1) or '1'
    -- The token's number is the record's position in the reply (the store rebuilds it).
    redis.call('HSET', key, 'status', 'PROCESSING', 'attempt', attempt, 'started', NOW_S, 'worker', worker,
      'inc', inc, 'token', token_base .. #records)
    -- A mark left by progress in an earlier attempt (rare): this attempt's start is not written yet.
    if h.sf then redis.call('HDEL', key, 'sf') end
  end
  lease_args[#lease_args + 1] = expires_s
  lease_args[#lease_args + 1] = id
  unqueued[#unqueued + 1] = id
  if is_watching() then
    local job = {queue = queue, worker = worker, task = h.task, attempt = attempt}
    emit(id, job, 'job:started', 'PROCESSING', '"durationMs":' .. (NOW - (tonumber(h.enqueued) or NOW)), true)
  end
  -- One concatenation (a single Lua CONCAT) instead of a table and table.concat.
  return '[' .. cjson.encode(id) .. ',' .. cjson.encode(h.task) .. ',' .. queue_json .. ',' ..
    (h.payload or 'null') .. ',' .. (h.opts or '[]') .. ',' .. (h.meta or 'null') .. ',' ..
    (h.idem and cjson.encode(h.idem) or 'null') .. ',' .. attempt .. ',' .. (h.created or '0') .. ',' ..
    (h.enqueued or 'null') .. ',' .. (h.runAt or 'null') .. ',' .. (h.progress or 'null') .. ',' .. (h.error or 'null') .. ',' ..
    (h.stalls or '0') .. ',' .. (h.rttl or '0') .. ',' .. (h.fttl or '0') .. ']'
end
for qi = 10 + 3 * carried, #ARGV do
  if remaining <= 0 then break end
  local queue = ARGV[qi]
  if redis.call('SISMEMBER', KEYS[1], queue) == 0 then
    local qkey = P .. 'queue:' .. queue
    local queue_json = cjson.encode(queue)
    local taken, gaps = 0, 0
    -- Gaps (entries of removed jobs) are popped and skipped: pop again until enough jobs.
    while remaining > 0 do
      local entries = redis.call('LPOP', qkey, remaining)
      if not entries then break end
      for _, entry in ipairs(entries) do
        if entry == '' then
          gaps = gaps + 1
        else
          records[#records + 1] = take(entry, queue, queue_json)
          taken = taken + 1
          remaining = remaining - 1
        end
      end
      redis.call('HINCRBY', P .. 'qhead', queue, #entries)
      if remaining > 0 and gaps == 0 then break end
    end
    if taken > 0 then count_later(queue .. '|PROCESSING', taken) end
    if gaps > 0 then count_later(queue .. '|gaps', -gaps) end
    -- The list's new head may be a gap: pop it (and the gaps behind it).
    if remaining == 0 then trim_gaps(queue) end
  end
end
if #unqueued > 0 then
  -- In slices: Lua's unpack takes a few thousand values at most (a claim of more than 1,000 jobs).
  for i = 1, #lease_args, 2000 do redis.call('ZADD', P .. 'leases', unpack(lease_args, i, math.min(i + 1999, #lease_args))) end
  qindex_del(unqueued)
end
flush_counts()
-- All records in one JSON array text: the worker decodes one string per claim.
return {'OK', settled, NOW_S, expires_s, '[' .. table.concat(records, ',') .. ']'}
