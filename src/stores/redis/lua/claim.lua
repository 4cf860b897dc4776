-- claim: promotes due SCHEDULED jobs, then takes up to `limit` QUEUED jobs from the queues in
-- strict priority order (skipping paused ones), FIFO within a queue, and leases them.
-- KEYS[1] paused-queues set
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] worker, ARGV[4] incarnation, ARGV[5] limit, ARGV[6] leaseMs,
-- ARGV[7] promote limit, ARGV[8] token base, ARGV[9..] queue names
-- Returns {'OK', {id, hash}...}.
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
        local job = load(id, 'task', 'attempt', 'enqueued')
        job.queue = queue
        job.attempt = (tonumber(job.attempt) or 0) + 1
        job.worker = worker
        local token = ARGV[8] .. '.' .. #out
        redis.call('HSET', key, 'status', 'PROCESSING', 'attempt', job.attempt, 'started', NOW, 'worker', worker,
          'inc', inc, 'token', token, 'lease', expires)
        redis.call('ZADD', P .. 'leases', expires, id)
        redis.call('SADD', P .. 'held:' .. worker, id)
        set_status(id, queue, 'QUEUED', 'PROCESSING')
        emit(id, job, 'job:started', 'PROCESSING', '"durationMs":' .. (NOW - (tonumber(job.enqueued) or NOW)))
        out[#out + 1] = {id, redis.call('HGETALL', key)}
        remaining = remaining - 1
      end
    end
  end
end
return out
