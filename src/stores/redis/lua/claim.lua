-- claim: promotes due SCHEDULED jobs, then takes up to `limit` QUEUED jobs from the queues in
-- strict priority order (skipping paused ones), FIFO within a queue, and leases them. Index and
-- counter writes go out once per call (flush_counts), not once per job. A queue with lanes of
-- jobs under limits (decision 0023; read with its pause, in one SMISMEMBER, see includes/lanes.lua)
-- is served lane by lane, round-robin, each job admitted by its limits (includes/admission.lua).
-- KEYS[1] paused-queues set (and '\0<queue>' for each queue with lanes)
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] worker, ARGV[4] incarnation, ARGV[5] limit, ARGV[6] leaseMs,
-- ARGV[7] promote limit, ARGV[8] lease token, ARGV[9] unstand ('' when the worker never stood,
-- else the token of the last hand-off it got by message, or '-'), ARGV[10] stand ms ('0' = do
-- not stand), ARGV[11] n = completions carried,
-- ARGV[12 .. 11 + 3n] (job id, token, result JSON) per completion, then the queue names.
-- Standing (includes/stand.lua, enqueue-one.lua): a claim that takes nothing and still has a
-- slot, with stand ms > 0, while nobody watches events, leaves a standing claim for one job
-- under its lease token, for that long, on each queue it serves that is not paused; enqueue-one
-- may then hand a new job straight to the worker. The next claim of the worker renews or removes
-- it, and returns the job handed under it, if any, when the worker did not get its message: that
-- job takes one of the claim's slots.
-- Completions a worker has ready when it claims ride along: they are settled first, exactly as
-- complete does (includes/completions.lua), and their writes are done before the claim starts.
-- Returns {'OK', {per completion: 'OK' | 'LEASE_LOST'}, started, leaseExpiry, records, handed,
-- tokenWaitMs}; tokenWaitMs is '' or the ms until a rate refused here has a token again; handed is '' or, for a job handed under the withdrawn standing claim and still running under
-- its token, 'started|leaseExpiry|token|queue|entry' as in the hand-off message. What all
-- jobs of the claim share (start time, lease expiry, worker, lease token) is sent once. records
-- holds one text per job, in claim order, and the names of the queues that packed jobs came from:
--   a packed job's list entry as it is (it starts with NUL; the worker splits it), the first
--     from each queue after '\1' .. queue (the entry does not name its queue);
--   for a job that has a hash, one JSON array (field order: ClaimRecord in claim-records.ts):
--     [id, task, queue, payload, opts, meta, idem, attempt, created, enqueued, runAt, progress,
--      error, stalls, rttl, fttl, retries], stored JSON values in it as they are, and for a job
--      a schedule made, its schedule id and fire time after them; for a job with dependencies,
--      dependents, an owner or a flow, (after the schedule's two, null if none) deps, dpol, dt,
--      dw, dfl, dcx, dn, parent, flow; for a job under limits or postponed (after those, null or
--      defaults if none), its 'lk' text and its postponements.
-- Every job of a claim gets the claim's lease token: a token fences one attempt of one job, and
-- tokens are unique per claim, so jobs need no number of their own.
-- @include job
-- @include completions
-- @include stand
-- @include admission
local worker, inc = ARGV[3], ARGV[4]
local remaining = tonumber(ARGV[5])
local expires = NOW + tonumber(ARGV[6])
local expires_s = string.format('%d', expires)
local carried = tonumber(ARGV[11])
local settled = {}
complete_range(12, 11 + 3 * carried, settled)
-- The completions are written in full before the claim part starts: Redis does not undo a
-- script that fails, so a claim that errors must not leave them half-recorded.
finish_completions()
flush_counts()
promote_due(tonumber(ARGV[7]))
-- The worker's standing claim, removed or renewed at the end; a job handed under it is returned
-- (see above). A standing claim still unused and valid keeps its queue entries (hand-offs drop
-- only others'), so renewing it on the same queues rewrites only `stand`.
local handed, renewing = '', false
local stand = ARGV[9] ~= '' and redis.call('HGET', STAND, inc)
local stood_on = nil
if stand then
  local used, stoken, f3, _, queues = stand_fields(stand)
  stood_on = queues
  if used == '!' and stoken ~= ARGV[9] then
    local h = redis.call('HMGET', P .. 'job:' .. f3, 'status', 'token', 'queue', 'started', 'pk')
    if h[1] == 'PROCESSING' and h[2] == stoken and h[5] then
      handed = h[4] .. '|' .. (redis.call('ZSCORE', P .. 'leases', f3) or '0') .. '|' .. stoken .. '|' .. h[3] .. '|' .. h[5]
      remaining = remaining - 1
    end
  elseif used == '' then
    renewing = tonumber(f3) > NOW
  end
end
-- The queues served that are not paused, in order.
local open = {}
-- The claimed jobs' records, in claim order.
local records = {}
-- The batch's index writes, sent after the loop: one ZADD to `leases` and one ZREM from the
-- QUEUED index for all jobs, and one counter change per queue.
local lease_args, unqueued = {}, {}
local token = ARGV[8]
-- The queue whose name the records gave last (see above).
local records_queue = nil
-- The soonest a rate that refused a job of the claim has a token again (ms), if any.
local token_wait_ms = nil
-- Claims one list entry (a packed job or a job id); appends its record.
local function take(entry, queue, queue_json)
  local id, key, h, attempt
  local packed = string.byte(entry) == 0
  if packed then
    id, attempt = lease_packed(entry, queue, token, worker, inc), '1'
  else
    id, key = entry, P .. 'job:' .. entry
    -- Read once before the update: the whole hash in one pass (HMGET would search the
    -- listpack once per field, and a field a waiting job lacks costs a full search).
    local flat = expand_flat(redis.call('HGETALL', key))
    h = {}
    for j = 1, #flat, 2 do h[flat[j]] = flat[j + 1] end
    -- Numbers become text once each (see NOW_S); a first attempt needs no conversion.
    attempt = h.attempt and tostring(tonumber(h.attempt) + 1) or '1'
    redis.call('HSET', key, 'status', 'PROCESSING', 'attempt', attempt, 'started', NOW_S, 'worker', worker,
      'inc', inc, 'token', token)
    -- A mark left by progress in an earlier attempt (rare): this attempt's start is not written yet.
    if h.sf then redis.call('HDEL', key, 'sf') end
  end
  lease_args[#lease_args + 1] = expires_s
  lease_args[#lease_args + 1] = id
  unqueued[#unqueued + 1] = id
  if is_watching() then
    -- (A packed job's fields are read from its entry only for the event.)
    if packed then h = unpack_entry(entry, queue) end
    local job = {queue = queue, worker = worker, task = h.task, attempt = attempt}
    emit(id, job, 'job:started', 'PROCESSING', '"durationMs":' .. (NOW - (tonumber(h.enqueued) or NOW)), true)
  end
  if packed then
    -- The entry is the record (after its queue's name, once per run of the same queue).
    if records_queue ~= queue then
      records[#records + 1] = '\1' .. queue
      records_queue = queue
    end
    records[#records + 1] = entry
    return
  end
  -- A job with dependencies, dependents, an owner or a flow (decision 0018) adds them, and a job
  -- under limits or postponed (decision 0023) its limit keys and postponements after them.
  local limits = (h.lk or h.ppn) and (',' .. (h.lk and cjson.encode(h.lk) or 'null') .. ',' .. (h.ppn or '0'))
  local links = (h.deps or h.dn or h.parent or h.flow) and (',' .. (h.deps or 'null') .. ',' ..
    (h.dpol and cjson.encode(h.dpol) or 'null') .. ',' .. (h.dt or 'null') .. ',' .. (h.dw or '0') .. ',' .. (h.dfl or '0') ..
    ',' .. (h.dcx or '0') .. ',' .. (h.dn or '0') .. ',' .. (h.parent and cjson.encode(h.parent) or 'null') .. ',' ..
    (h.flow and cjson.encode(h.flow) or 'null')) or (limits and ',null,null,null,0,0,0,0,null,null')
  -- One concatenation (a single Lua CONCAT) instead of a table and table.concat.
  records[#records + 1] = '[' .. cjson.encode(id) .. ',' .. cjson.encode(h.task) .. ',' .. queue_json .. ',' ..
    (h.payload or 'null') .. ',' .. (h.opts or '[]') .. ',' .. (h.meta or 'null') .. ',' ..
    (h.idem and cjson.encode(h.idem) or 'null') .. ',' .. attempt .. ',' .. (h.created or '0') .. ',' ..
    (h.enqueued or 'null') .. ',' .. (h.runAt or 'null') .. ',' .. (h.progress or 'null') .. ',' .. (h.error or 'null') .. ',' ..
    (h.stalls or '0') .. ',' .. (h.rttl or '0') .. ',' .. (h.fttl or '0') .. ',' .. (h.retries or '0') ..
    (h.sid and ',' .. cjson.encode(h.sid) .. ',' .. (h.fire or 'null') or (links and ',null,null' or '')) .. (links or '') .. (limits or '') .. ']'
end
for qi = 12 + 3 * carried, #ARGV do
  if remaining <= 0 then break end
  local queue = ARGV[qi]
  local flags = redis.call('SMISMEMBER', KEYS[1], queue, '\0' .. queue)
  if flags[1] == 0 then
    open[#open + 1] = queue
    local qkey = P .. 'queue:' .. queue
    local queue_json = cjson.encode(queue)
    local taken, gaps = 0, 0
    local laned = flags[2] == 1
    if laned then
      local wait_ms
      taken, wait_ms = serve_lanes(queue, remaining, function(entry) take(entry, queue, queue_json) end)
      remaining = remaining - taken
      if wait_ms then token_wait_ms = math.min(token_wait_ms or wait_ms, wait_ms) end
    end
    -- Gaps (entries of removed jobs) are popped and skipped: pop again until enough jobs.
    while remaining > 0 and not laned do
      local entries = redis.call('LPOP', qkey, remaining)
      if not entries then break end
      for _, entry in ipairs(entries) do
        if entry == '' then
          gaps = gaps + 1
        else
          take(entry, queue, queue_json)
          taken = taken + 1
          remaining = remaining - 1
        end
      end
      move_head(queue, #entries)
      if remaining > 0 and gaps == 0 then break end
    end
    if taken > 0 then count_later(queue .. '|PROCESSING', taken) end
    if gaps > 0 then count_later(queue .. '|gaps', -gaps) end
    -- The list's new head may be a gap: pop it (and the gaps behind it).
    if remaining == 0 and not laned then trim_gaps(queue) end
  end
end
if #unqueued > 0 then
  -- In slices: Lua's unpack takes a few thousand values at most (a claim of more than 1,000 jobs).
  lease_args[#lease_args + 1] = '+inf'
  lease_args[#lease_args + 1] = LEASES_ANCHOR
  for i = 1, #lease_args, 2000 do redis.call('ZADD', P .. 'leases', unpack(lease_args, i, math.min(i + 1999, #lease_args))) end
  qindex_del(unqueued)
end
flush_counts()
local stand_ms = tonumber(ARGV[10])
if #unqueued == 0 and remaining > 0 and stand_ms > 0 and #open > 0
    and redis.call('EXISTS', P .. 'watching') == 0 then
  local queues = table.concat(open, '\0')
  if stand and stood_on ~= queues then drop_stand(inc, stand) end
  redis.call('HSET', STAND, inc, token .. '|' .. string.format('%d', NOW + stand_ms) .. '|' .. ARGV[6] .. '|' .. queues .. '|' .. worker)
  if not (renewing and stood_on == queues) then
    -- Each queue's entry names the queues the worker serves before it: a hand-off waits while
    -- one of them holds jobs (priority order holds).
    local ahead, is_open = '', {}
    for _, queue in ipairs(open) do is_open[queue] = true end
    for qi = 12 + 3 * carried, #ARGV do
      local queue = ARGV[qi]
      if is_open[queue] then
        redis.call('HSET', P .. 'standq:' .. queue, inc, ahead)
        redis.call('HSET', QNUM, '~' .. queue, '1')
      end
      ahead = ahead .. '\0' .. queue
    end
  end
elseif stand then
  drop_stand(inc, stand)
end
return {'OK', settled, NOW_S, expires_s, records, handed, token_wait_ms and string.format('%d', token_wait_ms) or ''}
