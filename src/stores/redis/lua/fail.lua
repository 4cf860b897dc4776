-- fail: settles a failed attempt under its lease: FAILED for good (its dependents settled in
-- the same call, includes/dependencies.lua), QUEUED at once, or SCHEDULED; a postponed attempt
-- (the task's RetryAfter) is not counted and counts a postponement instead ('ppn'). Every
-- outcome ends the lease and frees its limits' slots (clear_lease, finish).
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] token, ARGV[5] error JSON,
-- ARGV[6] retry delay in ms ('' = no retry), ARGV[7] '1' to postpone (a retry delay is then given)
-- Returns {'OK', hash} | {'LEASE_LOST'}.
-- @include dependencies
local id, err = ARGV[3], ARGV[5]
local job = load(id, 'status', 'token', 'queue', 'task', 'attempt', 'worker', 'started', 'fttl', 'enqueued', 'sf', 'dn', 'lk')
if job.status ~= 'PROCESSING' or job.token ~= ARGV[4] then return {'LEASE_LOST'} end
local extra = '"error":' .. err .. ',"durationMs":' .. (NOW - tonumber(job.started))
if ARGV[6] == '' then
  finish(id, job, 'FAILED', job.fttl, {'error', err})
  emit(id, job, 'job:failed', 'FAILED', extra)
  if job.dn then settle_dependents(id, 'FAILED') end
else
  local delay = tonumber(ARGV[6])
  clear_lease(id, job)
  if ARGV[7] == '1' then
    job.attempt = math.max((tonumber(job.attempt) or 0) - 1, 0)
    redis.call('HSET', KEYS[1], 'attempt', job.attempt)
    redis.call('HINCRBY', KEYS[1], 'ppn', 1)
  end
  if delay <= 0 then
    redis.call('HSET', KEYS[1], 'status', 'QUEUED', 'error', err, 'enqueued', NOW)
    to_queue(id, job, 'PROCESSING', false)
    emit(id, job, 'job:retrying', 'QUEUED', extra)
  else
    redis.call('HSET', KEYS[1], 'status', 'SCHEDULED', 'error', err, 'runAt', NOW + delay)
    set_status(id, job.queue, 'PROCESSING', 'SCHEDULED')
    redis.call('ZADD', P .. 'scheduled', NOW + delay, id)
    emit(id, job, 'job:retrying', 'SCHEDULED', extra)
  end
end
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
