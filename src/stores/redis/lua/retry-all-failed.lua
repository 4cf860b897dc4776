-- retryAllFailed: retries up to `limit` FAILED jobs, oldest first, optionally of one queue;
-- each job's `retries` counts the retry.
-- With a queue filter the scan of the FAILED index is bounded by `budget` entries.
-- KEYS[1] FAILED status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] limit, ARGV[5] budget
-- Returns {'OK', retried}.
-- @include job
-- @include scan
local queue = ARGV[3]
local retried = scan_index(KEYS[1], tonumber(ARGV[5]), tonumber(ARGV[4]), function(id)
  local job = load(id, 'status', 'queue', 'task', 'worker')
  if queue ~= '' and job.queue ~= queue then return false end
  retry_job(id, job)
  return true
end)
return {'OK', retried}
