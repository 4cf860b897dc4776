-- cancel: moves a non-final job to CANCELED; a running job loses its lease at once.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK', hash} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'attempt', 'worker', 'fttl', 'started', 'enqueued', 'sf')
if not job.status then return {'NOT_FOUND'} end
local s = job.status
if s ~= 'PENDING' and s ~= 'SCHEDULED' and s ~= 'QUEUED' and s ~= 'PROCESSING' then return {'INVALID', s} end
-- A waiting job that has a hash is found by LPOS, which walks the queue (O(queue length));
-- claims never do. A packed one gets its hash here.
if s == 'QUEUED' then unqueue(id, job, true) end
if s == 'SCHEDULED' then redis.call('ZREM', P .. 'scheduled', id) end
finish(id, job, 'CANCELED', job.fttl, {})
emit(id, job, 'job:canceled', 'CANCELED')
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
