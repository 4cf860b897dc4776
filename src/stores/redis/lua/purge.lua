-- purge: deletes up to `limit` finished jobs of one status (optionally one queue) finished
-- before a time; the status index is scanned oldest first, at most `budget` entries.
-- KEYS[1] the status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] finished before (ms),
-- ARGV[5] limit, ARGV[6] budget
-- Returns {'OK', deleted}.
-- @include job
-- @include scan
local queue, before = ARGV[3], tonumber(ARGV[4])
local deleted = scan_index(KEYS[1], tonumber(ARGV[6]), tonumber(ARGV[5]), function(id)
  local job = load(id, 'queue', 'completed')
  if (queue ~= '' and job.queue ~= queue) or tonumber(job.completed or before) >= before then return false end
  delete_job(id)
  return true
end)
return {'OK', deleted}
