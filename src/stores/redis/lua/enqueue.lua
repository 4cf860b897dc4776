-- enqueue: stores a batch of new jobs atomically (all or none), as QUEUED, SCHEDULED or PENDING.
-- KEYS[1] idempotency hash (key -> job id)
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3] job count, then 14 fields per job:
--   id, task, queue, payload, opts, meta, project, user, idem, hold, delayMs, runAt, resultTtl, failureTtl
-- Returns {'OK', now, per job: {1, status, runAt} | {0, existingId, existingHash}} or {'DUPLICATE', id}.
-- @include job
local W = 14
local n = tonumber(ARGV[3])
local seen = {}
-- The job an idempotency key already names, per job of the batch (an earlier job of the same
-- batch counts): read once here, used when storing below.
local existing_for = {}
for i = 0, n - 1 do
  local b = 3 + i * W
  local id, idem = ARGV[b + 1], ARGV[b + 9]
  local known = idem ~= '' and (seen['k' .. idem] or redis.call('HGET', KEYS[1], idem))
  existing_for[i] = known
  if not known then
    if seen[id] or redis.call('EXISTS', job_key(id)) == 1 then return {'DUPLICATE', id} end
    seen[id] = true
    if idem ~= '' then seen['k' .. idem] = id end
  end
end
local out = {'OK', NOW}
local pushed = {}
for i = 0, n - 1 do
  local b = 3 + i * W
  local id, task, queue = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local idem = ARGV[b + 9]
  local existing = existing_for[i]
  if existing then
    out[#out + 1] = {0, existing, redis.call('HGETALL', job_key(existing))}
  else
    local run_at = ARGV[b + 12] ~= '' and tonumber(ARGV[b + 12]) or nil
    local delay = tonumber(ARGV[b + 11])
    if not run_at and delay and delay > 0 then run_at = NOW + delay end
    local status = 'QUEUED'
    if ARGV[b + 10] == '1' then status = 'PENDING' elseif run_at and run_at > NOW then status = 'SCHEDULED' end
    local fields = {'task', task, 'queue', queue, 'payload', ARGV[b + 4], 'opts', ARGV[b + 5], 'created', NOW,
      'status', status, 'rttl', ARGV[b + 13], 'fttl', ARGV[b + 14]}
    local function add(name, value) if value ~= '' then fields[#fields + 1] = name; fields[#fields + 1] = value end end
    add('meta', ARGV[b + 6]); add('project', ARGV[b + 7]); add('user', ARGV[b + 8]); add('idem', idem)
    if status ~= 'PENDING' then add('enqueued', NOW) end
    if run_at then add('runAt', run_at) end
    if status == 'PENDING' then add('init', 'job:created') elseif status == 'SCHEDULED' then add('init', 'job:scheduled') end
    redis.call('HSET', job_key(id), unpack(fields))
    set_status(id, queue, nil, status)
    if status == 'SCHEDULED' then redis.call('ZADD', P .. 'scheduled', run_at, id) end
    -- A queue list that already held jobs before this call is a known queue (every job in a
    -- list was enqueued here first): only a queue that was empty needs adding to `queues`.
    local known = false
    if status == 'QUEUED' then
      pushed[queue] = (pushed[queue] or 0) + 1
      local length = redis.call('RPUSH', P .. 'queue:' .. queue, id)
      wake(queue, length, pushed[queue])
      known = length > pushed[queue]
    end
    if ARGV[b + 7] ~= '' then redis.call('ZADD', P .. 'project:' .. ARGV[b + 7], 0, id) end
    if ARGV[b + 8] ~= '' then redis.call('ZADD', P .. 'user:' .. ARGV[b + 8], 0, id) end
    if idem ~= '' then redis.call('HSET', KEYS[1], idem, id) end
    if not known then redis.call('SADD', P .. 'queues', queue) end
    local etype = (status == 'PENDING' and 'job:created') or (status == 'SCHEDULED' and 'job:scheduled') or 'job:enqueued'
    emit(id, {queue = queue, task = task}, etype, status, nil, true)
    out[#out + 1] = {1, status, run_at or ''}
  end
end
return out
