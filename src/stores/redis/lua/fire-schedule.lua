-- fireSchedule: fires a due schedule once (compare-and-set on its next fire time and definition
-- text): applies its overlap policy against its last job's status, makes the jobs of the fires
-- through the general enqueue (includes/enqueue.lua: same writes, events and wake-ups; a fire
-- whose idempotency key already has a job makes none and is not counted as skipped), then
-- records the last fire time, the next one and the last job made.
-- Overlap: 'allow' makes every fire's job; 'skip' makes none while the last job is not final,
-- else only the latest fire's; 'one_waiting' makes none while the last job waits (PENDING,
-- SCHEDULED, QUEUED), else only the latest fire's. The other fires count as skipped.
-- KEYS[1] the schedule's hash, KEYS[2] due schedules (zset), KEYS[3] idempotency hash
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3] schedule id, ARGV[4] expected next
-- fire time, ARGV[5] expected definition text, ARGV[6] last fire time, ARGV[7] next fire time,
-- ARGV[8] overlap, ARGV[9] n = number of fires, then 8 per fire's job (as in enqueue.lua),
-- oldest fire first
-- Returns {'OK', 0} when the schedule is gone, paused, or no longer at that next fire time and
-- definition (nothing changed); {'OK', 1, skipped, first, now, code...}, the codes (as enqueue.lua's,
-- {0, id, hash} for a job its key found) of the jobs of fires first + 1, first + 2, ... (0-based
-- `first`); or {'DUPLICATE', id} with nothing changed.
-- @include enqueue
local key, id = KEYS[1], ARGV[3]
local s = redis.call('HMGET', key, 'paused', 'next', 'def', 'lastjob')
if s[1] ~= '0' or not s[2] or tonumber(s[2]) ~= tonumber(ARGV[4]) or s[3] ~= ARGV[5] then return {'OK', 0} end
local n, overlap = tonumber(ARGV[9]), ARGV[8]
local first, count = 0, n
if overlap ~= 'allow' and n > 0 then
  -- (A schedule's jobs always have a hash: they never wait packed.)
  local last = s[4] and redis.call('HGET', job_key(s[4]), 'status')
  local blocked
  if overlap == 'skip' then
    blocked = last and last ~= 'COMPLETED' and last ~= 'FAILED' and last ~= 'CANCELED'
  else
    blocked = last == 'PENDING' or last == 'SCHEDULED' or last == 'QUEUED'
  end
  if blocked then first, count = n, 0 else first, count = n - 1, 1 end
end
local reply = {'OK', 1, n - count, first, NOW}
local made = nil
if count > 0 then
  local from = 9 + first * ENQUEUE_WIDTH
  local out = enqueue_jobs(KEYS[3], from, count)
  if out[1] ~= 'OK' then return out end
  for i = 3, #out do
    reply[#reply + 1] = out[i]
    if type(out[i]) == 'string' then made = ARGV[from + (i - 3) * ENQUEUE_WIDTH + 1] end
  end
end
if made then
  redis.call('HSET', key, 'last', ARGV[6], 'next', ARGV[7], 'lastjob', made)
else
  redis.call('HSET', key, 'last', ARGV[6], 'next', ARGV[7])
end
redis.call('ZADD', KEYS[2], ARGV[7], id)
return reply
