-- stats: counts per queue and status (counters and LLEN, never a scan of jobs; QUEUED includes
-- the jobs waiting in lanes, `<queue>|laned`), the age of the oldest waiting job of the main
-- list (QUEUED: a DEFERRED job waits for other jobs, not for a worker),
-- finishes in the last minute (10-second buckets), paused flags.
-- KEYS[1] known-queues set, KEYS[2] counters hash, KEYS[3] paused set
-- ARGV[1] prefix, ARGV[2] now
-- Returns {'OK', now, {queue, paused, oldestEnqueuedAt, done, failed, count per status...}...}.
-- @include job
-- (In JOB_STATUSES order; QUEUED, the fourth, is counted from its list.)
local statuses = {'PENDING', 'DEFERRED', 'SCHEDULED', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELED'}
local bucket = math.floor(NOW / 10000)
local out = {'OK', NOW}
-- ('\0<queue>' in the paused set marks a queue with lanes, see includes/lanes.lua: no queue.)
local queues = {}
for _, queue in ipairs(redis.call('SUNION', KEYS[1], KEYS[3])) do
  if string.byte(queue) ~= 0 then queues[#queues + 1] = queue end
end
for _, queue in ipairs(queues) do
  local fields = {}
  for i, s in ipairs(statuses) do fields[i] = queue .. '|' .. s end
  fields[#fields + 1] = queue .. '|gaps'
  fields[#fields + 1] = queue .. '|laned'
  local counts = redis.call('HMGET', KEYS[2], unpack(fields))
  local qkey = P .. 'queue:' .. queue
  counts[4] = redis.call('LLEN', qkey) - (tonumber(counts[#fields - 1]) or 0) + (tonumber(counts[#fields]) or 0)
  -- The head entry (never a gap, see trim_gaps): a packed job carries its time, others a hash.
  local head = redis.call('LINDEX', qkey, 0)
  local oldest = ''
  if head then
    local packed = string.byte(head) == 0 and unpack_entry(head, queue)
    oldest = packed and packed.enqueued or redis.call('HGET', job_key(head), 'enqueued') or ''
  end
  local names = {}
  for b = bucket - 6, bucket do names[#names + 1] = 'done:' .. b; names[#names + 1] = 'fail:' .. b end
  local rates = redis.call('HMGET', P .. 'rate:' .. queue, unpack(names))
  local done, failed = 0, 0
  for i = 1, #rates, 2 do done = done + (tonumber(rates[i]) or 0); failed = failed + (tonumber(rates[i + 1]) or 0) end
  local row = {queue, redis.call('SISMEMBER', KEYS[3], queue), oldest, done, failed}
  for i = 1, #statuses do row[#row + 1] = tonumber(counts[i]) or 0 end
  out[#out + 1] = row
end
return out
