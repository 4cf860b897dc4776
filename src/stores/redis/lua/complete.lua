-- complete: settles a batch of running jobs as COMPLETED, each only under its current lease
-- token; a stale token changes nothing for that job and does not affect the others. The index,
-- counter and expiry writes of the batch go out once per call (flush_later), not once per job
-- (completions with the same retention end share one `expiry` member: a list of their ids),
-- and a job completed without progress reports keeps no timeline list (see below).
-- KEYS[1] leases zset (the job hashes are named from the ids, under the same hash tag, so the
-- call does not send one key per job)
-- ARGV[1] prefix, ARGV[2] now, then per job: job id, token, result JSON
-- Returns {'OK', per job: 'OK' | 'LEASE_LOST'}.
-- @include job
local out = {'OK'}
local done = {}
local leases, expiry = KEYS[1], P .. 'expiry'
-- Completions that share a retention end share one `expiry` entry (see expire_later).
local by_end, end_order = {}, {}
local function expire_later(at, id)
  local ids = by_end[at]
  if not ids then ids = {}; by_end[at] = ids; end_order[#end_order + 1] = at end
  ids[#ids + 1] = id
end
local function flush_expiry(key)
  for _, at in ipairs(end_order) do
    local ids = by_end[at]
    if #ids == 1 then
      redis.call('ZADD', key, at, ids[1])
    else
      -- One member for the group; its ids wait in a list named after it (prune checks each).
      local member = '#' .. NOW .. '.' .. ids[1]
      redis.call('RPUSH', P .. 'expiry:' .. member, unpack(ids))
      redis.call('ZADD', key, at, member)
    end
  end
end
for i = 3, #ARGV, 3 do
  local id, token = ARGV[i], ARGV[i + 1]
  -- The fields every completion needs; an event (someone watches, or the attempt already has a
  -- timeline) reads the rest below.
  local v = redis.call('HMGET', job_key(id), 'status', 'token', 'queue', 'rttl', 'sf')
  if v[1] ~= 'PROCESSING' or v[2] ~= token then
    out[#out + 1] = 'LEASE_LOST'
  else
    local queue = v[3]
    -- As finish() does, one job at a time; the token field stays, the status check fences it.
    redis.call('HSET', job_key(id), 'status', 'COMPLETED', 'completed', NOW, 'result', ARGV[i + 2])
    later('ZREM', leases, id)
    set_status_later(id, queue, 'PROCESSING', 'COMPLETED')
    expire_later(NOW + tonumber(v[4]) * 1000, id)
    done[queue] = (done[queue] or 0) + 1
    -- An attempt that wrote nothing to the timeline yet (no progress) stores nothing now either:
    -- jobEvents rebuilds its start and completion from the hash. Watchers still get the event.
    if v[5] or is_watching() then
      local job = load(id, 'task', 'attempt', 'worker', 'started', 'enqueued')
      job.status, job.queue, job.sf = 'PROCESSING', queue, v[5]
      emit(id, job, 'job:completed', 'COMPLETED', '"durationMs":' .. (NOW - tonumber(job.started)), not job.sf)
    end
    out[#out + 1] = 'OK'
  end
end
flush_expiry(expiry)
flush_later()
for queue, count in pairs(done) do count_finish(queue, 'done', count) end
return out
