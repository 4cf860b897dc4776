-- remove: deletes a job that is not running, with its timeline and index entries, and every job
-- it owns (its subtree; a flow's root also its flow's members). Nothing is deleted while one of
-- those jobs (the job aside) is unfinished or an unfinished job outside them needs one of them.
-- KEYS[1] the job hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id
-- Returns {'OK'} | {'NOT_FOUND'} | {'INVALID', status} | {'HAS_DEPENDENTS', id of the unfinished job}.
-- @include flows
local id = ARGV[3]
local job = load(id, 'status', 'queue', 'task', 'attempt', 'worker', 'dn', 'flow')
if not job.status then return {'NOT_FOUND'} end
if job.status == 'PROCESSING' then return {'INVALID', job.status} end
local ids = {id}
if job.dn or job.flow or redis.call('EXISTS', P .. 'children:' .. id) == 1 then
  local blocker
  ids, blocker = removal(id)
  if not ids then return {'HAS_DEPENDENTS', blocker} end
end
for i = #ids, 1, -1 do
  local other = ids[i]
  local removed = other == id and job or load(other, 'status', 'queue', 'task', 'attempt', 'worker')
  if delete_job(other) then emit(other, removed, 'job:removed', removed.status, nil, true) end
end
return {'OK'}
