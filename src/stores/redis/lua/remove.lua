-- remove: deletes a job that is not running, with its timeline and index entries.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK'} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include job
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'attempt', 'worker')
if not job.status then return {'NOT_FOUND'} end
if job.status == 'PROCESSING' then return {'INVALID', job.status} end
delete_job(id)
emit(id, job, 'job:removed', job.status, nil, true)
return {'OK'}
