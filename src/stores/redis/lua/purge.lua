-- purge: deletes up to `limit` finished jobs of one status (optionally one queue) finished
-- before a time; the status index is scanned oldest first, at most `budget` entries. Retention's
-- rules hold (includes/flows.lua): a job an unfinished job needs and a flow's member are kept, a
-- flow's root goes with its members once every one is final.
-- KEYS[1] the status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] finished before (ms),
-- ARGV[5] limit, ARGV[6] budget
-- Returns {'OK', deleted}.
-- @include flows
-- @include scan
local queue, before = ARGV[3], tonumber(ARGV[4])
local deleted = scan_index(KEYS[1], tonumber(ARGV[6]), tonumber(ARGV[5]), function(id)
  local job = load(id, 'queue', 'completed', 'flow', 'dn')
  if (queue ~= '' and job.queue ~= queue) or tonumber(job.completed or before) >= before then return false end
  if retention_hold(id, job) then return false end
  delete_with_flow(id)
  return true
end)
return {'OK', deleted}
