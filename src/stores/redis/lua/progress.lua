-- progress: records a running job's progress, only under its current lease token.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] token, ARGV[5] progress JSON
-- Returns {'OK'} | {'LEASE_LOST'}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'token', 'queue', 'task', 'attempt', 'worker', 'started', 'enqueued', 'sf')
if job.status ~= 'PROCESSING' or job.token ~= ARGV[4] then return {'LEASE_LOST'} end
-- `sf`: this attempt's start entry is now in the timeline (emit writes it first).
redis.call('HSET', KEYS[1], 'progress', ARGV[5], 'sf', 1)
emit(id, job, 'job:progress', 'PROCESSING', '"progress":' .. ARGV[5])
return {'OK'}
