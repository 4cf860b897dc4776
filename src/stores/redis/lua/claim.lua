-- claim: promotes due SCHEDULED jobs, then takes up to `limit` QUEUED jobs from the queues in
-- strict priority order (skipping paused ones), FIFO within a queue, and leases them. Index and
-- counter writes go out once per call (flush_later), not once per job.
-- KEYS[1] paused-queues set
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] worker, ARGV[4] incarnation, ARGV[5] limit, ARGV[6] leaseMs,
-- ARGV[7] promote limit, ARGV[8] token base, ARGV[9..] queue names
-- Returns {'OK', {id, hash}...}; each hash lists the fields as read, then the claim's changes.
-- @include job
local worker, inc = ARGV[3], ARGV[4]
local remaining = tonumber(ARGV[5])
local expires = NOW + tonumber(ARGV[6])
promote_due(tonumber(ARGV[7]))
local out = {'OK'}
for qi = 9, #ARGV do
  if remaining <= 0 then break end
  local queue = ARGV[qi]
  if redis.call('SISMEMBER', KEYS[1], queue) == 0 then
    local ids = redis.call('LPOP', P .. 'queue:' .. queue, remaining)
    if ids then
      for _, id in ipairs(ids) do
        local key = job_key(id)
        -- Read once before the update; the reply carries the changed fields after the hash.
        local hash = redis.call('HGETALL', key)
        local job = {queue = queue, worker = worker, attempt = 1}
        for i = 1, #hash, 2 do
          local f = hash[i]
          if f == 'task' then job.task = hash[i + 1]
          elseif f == 'attempt' then job.attempt = tonumber(hash[i + 1]) + 1
          elseif f == 'enqueued' then job.enqueued = hash[i + 1] end
        end
        local token = ARGV[8] .. '.' .. #out
        local changed = {'status', 'PROCESSING', 'attempt', job.attempt, 'started', NOW, 'worker', worker,
          'inc', inc, 'token', token, 'lease', expires}
        redis.call('HSET', key, unpack(changed))
        later('ZADD', P .. 'leases', expires, id)
        set_status_later(id, queue, 'QUEUED', 'PROCESSING')
        emit(id, job, 'job:started', 'PROCESSING', '"durationMs":' .. (NOW - (tonumber(job.enqueued) or NOW)))
        for _, v in ipairs(changed) do hash[#hash + 1] = v end
        out[#out + 1] = {id, hash}
        remaining = remaining - 1
      end
    end
  end
end
flush_later()
return out
