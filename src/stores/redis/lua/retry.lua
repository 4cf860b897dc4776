-- retry: puts a FAILED or CANCELED job back to QUEUED with a fresh attempt count, counting
-- the retry in the job's `retries`.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK', hash} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'worker')
if not job.status then return {'NOT_FOUND'} end
if job.status ~= 'FAILED' and job.status ~= 'CANCELED' then return {'INVALID', job.status} end
retry_job(id, job)
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
