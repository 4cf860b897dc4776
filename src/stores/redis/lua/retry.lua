-- retry: puts a FAILED or CANCELED job back to QUEUED with a fresh attempt count, counting
-- the retry in the job's `retries`. A job that owns jobs (a flow's parent, a batch's callback)
-- is retried with its subtree (includes/flows.lua): it and every FAILED or CANCELED job of it
-- start again, each DEFERRED while what it depends on is unfinished.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK', hash} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include flows
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'worker', 'lk')
if not job.status then return {'NOT_FOUND'} end
if job.status ~= 'FAILED' and job.status ~= 'CANCELED' then return {'INVALID', job.status} end
if redis.call('EXISTS', P .. 'children:' .. id) == 1 then retry_subtree(id) else retry_job(id, job) end
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
