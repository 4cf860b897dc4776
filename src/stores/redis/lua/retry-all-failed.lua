-- retryAllFailed: retries up to `limit` FAILED jobs, oldest first, optionally of one queue.
-- With a queue filter the scan of the FAILED index is bounded by `budget` entries.
-- KEYS[1] FAILED status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] limit, ARGV[5] budget
-- Returns {'OK', retried}.
-- @include job
local queue, limit, budget = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local retried, cursor = 0, '-'
while retried < limit and budget > 0 do
  local ids = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, math.min(budget, 200))
  if #ids == 0 then break end
  budget = budget - #ids
  for _, id in ipairs(ids) do
    cursor = '(' .. id
    local job = load(id, 'status', 'queue', 'task', 'worker')
    if retried < limit and (queue == '' or job.queue == queue) then
      retry_job(id, job)
      retried = retried + 1
    end
  end
end
return {'OK', retried}
