-- cancel: moves a non-final job to CANCELED (a running job loses its lease at once) and, in the
-- same call, every unfinished job it owns, down its whole subtree; the dependents of each
-- canceled job then follow their policies (includes/dependencies.lua).
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK', hash} | {'NOT_FOUND'} | {'INVALID', status}.
-- @include dependencies
local id = ARGV[3]
local job = load(id, unpack(CANCEL_FIELDS))
if not job.status then return {'NOT_FOUND'} end
local s = job.status
if s ~= 'PENDING' and s ~= 'DEFERRED' and s ~= 'SCHEDULED' and s ~= 'QUEUED' and s ~= 'PROCESSING' then return {'INVALID', s} end
cancel_job(id, job)
if redis.call('EXISTS', P .. 'children:' .. id) == 1 then
  cancel_owned(id)
elseif job.dn then
  settle_dependents(id, 'CANCELED')
end
return {'OK', expand_flat(redis.call('HGETALL', KEYS[1]))}
