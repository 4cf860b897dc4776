-- triggerSchedule: makes a schedule's job now, outside its timing, through the general enqueue
-- (includes/enqueue.lua); the job becomes its last job, its fire times stay.
-- KEYS[1] the schedule's hash, KEYS[2] idempotency hash
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3] schedule id, then the job's 8 fields
-- (as in enqueue.lua)
-- Returns {'OK', now, code | {0, id, hash}} (as enqueue.lua's) | {'NOT_FOUND'} | {'DUPLICATE', id}.
-- @include enqueue
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_FOUND'} end
local out = enqueue_jobs(KEYS[2], 3, 1)
if out[1] == 'OK' and type(out[3]) == 'string' then redis.call('HSET', KEYS[1], 'lastjob', ARGV[4]) end
return out
