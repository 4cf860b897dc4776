-- enqueuePending: moves a PENDING job to QUEUED, or to SCHEDULED when its run time is ahead.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK', hash} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'runAt', 'lk')
if not job.status then return {'NOT_FOUND'} end
if job.status ~= 'PENDING' then return {'INVALID', job.status} end
if job.runAt and tonumber(job.runAt) > NOW then
  redis.call('HSET', KEYS[1], 'status', 'SCHEDULED', 'enqueued', NOW)
  set_status(id, job.queue, 'PENDING', 'SCHEDULED')
  redis.call('ZADD', P .. 'scheduled', job.runAt, id)
  emit(id, job, 'job:scheduled', 'SCHEDULED')
else
  redis.call('HSET', KEYS[1], 'status', 'QUEUED', 'enqueued', NOW)
  redis.call('HDEL', KEYS[1], 'runAt')
  to_queue(id, job, 'PENDING', false)
  emit(id, job, 'job:enqueued', 'QUEUED')
end
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
