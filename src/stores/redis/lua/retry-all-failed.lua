-- retryAllFailed: retries up to `limit` FAILED jobs, oldest first, optionally of one queue;
-- each job's `retries` counts the retry. A job that owns jobs is retried with its subtree, as
-- retry does (includes/flows.lua); a job such a retry already started again is passed over.
-- With a queue filter the scan of the FAILED index is bounded by `budget` entries.
-- KEYS[1] FAILED status index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] queue ('' = all), ARGV[4] limit, ARGV[5] budget
-- Returns {'OK', retried}.
-- @include flows
-- @include scan
local queue = ARGV[3]
local retried = scan_index(KEYS[1], tonumber(ARGV[5]), tonumber(ARGV[4]), function(id)
  local job = load(id, 'status', 'queue', 'task', 'worker', 'lk')
  if job.status ~= 'FAILED' or (queue ~= '' and job.queue ~= queue) then return false end
  if redis.call('EXISTS', P .. 'children:' .. id) == 1 then retry_subtree(id) else retry_job(id, job) end
  return true
end)
return {'OK', retried}
