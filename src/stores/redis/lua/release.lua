-- release: hands a running job back to the HEAD of its queue without counting the attempt.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] token
-- Returns {'OK'} | {'LEASE_LOST'}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'token', 'queue', 'task', 'attempt', 'worker', 'started', 'enqueued', 'sf', 'lk')
if job.status ~= 'PROCESSING' or job.token ~= ARGV[4] then return {'LEASE_LOST'} end
local start = pending_start(job)
if start then redis.call('RPUSH', P .. 'events:' .. id, start) end
clear_lease(id, job)
job.attempt = math.max((tonumber(job.attempt) or 0) - 1, 0)
redis.call('HSET', KEYS[1], 'status', 'QUEUED', 'attempt', job.attempt, 'enqueued', NOW)
to_queue(id, job, 'PROCESSING', true)
emit(id, job, 'job:released', 'QUEUED')
return {'OK'}
