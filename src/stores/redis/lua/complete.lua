-- complete: settles a running job as COMPLETED, only under its current lease token.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] token, ARGV[5] result JSON
-- Returns {'OK'} | {'LEASE_LOST'}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'token', 'queue', 'task', 'attempt', 'worker', 'started', 'rttl')
if job.status ~= 'PROCESSING' or job.token ~= ARGV[4] then return {'LEASE_LOST'} end
finish(id, job, 'COMPLETED', job.rttl, {'result', ARGV[5]})
emit(id, job, 'job:completed', 'COMPLETED', '"durationMs":' .. (NOW - tonumber(job.started)))
return {'OK'}
