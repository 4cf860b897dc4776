-- purge: deletes up to `limit` finished jobs of one status (optionally one queue) finished
-- before a time; the status index is scanned oldest first, at most `budget` entries.
-- KEYS[1] the status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] finished before (ms),
-- ARGV[5] limit, ARGV[6] budget
-- Returns {'OK', deleted}.
-- @include job
local queue, before, limit, budget = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local deleted, cursor = 0, '-'
while deleted < limit and budget > 0 do
  local ids = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, math.min(budget, 200))
  if #ids == 0 then break end
  budget = budget - #ids
  for _, id in ipairs(ids) do
    cursor = '(' .. id
    local job = load(id, 'queue', 'completed')
    if deleted < limit and (queue == '' or job.queue == queue) and tonumber(job.completed or before) < before then
      delete_job(id)
      deleted = deleted + 1
    end
  end
end
return {'OK', deleted}
