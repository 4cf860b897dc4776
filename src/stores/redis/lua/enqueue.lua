-- enqueue: stores a batch of new jobs atomically (all or none), as QUEUED, SCHEDULED or PENDING.
-- KEYS[1] idempotency hash (key -> job id)
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3] job count, then 8 fields per job:
--   id, task, queue, payload, opts, resultTtl, failureTtl, extra
-- where extra is '' or a JSON object of what most jobs lack: m (meta JSON text), p (project),
-- u (user), k (idempotency key), h (1: hold as PENDING), d (delay ms), r (run at, ms).
-- Returns 'OK|<now>|<job>|<job>...' when every job is new, each <job> its status letter
-- (Q, S, P) and its run time if it has one; when an idempotency key names an existing job,
-- {'OK', now, per job: {1, status, runAt} | {0, existingId, existingHash}}; or {'DUPLICATE', id}.
-- Index, list and idempotency writes go out once per call (one variadic command per key).
-- @include job
local W = 8
-- Variadic writes go out in slices: Lua's unpack takes at most a few thousand values.
local SLICE = 2000
local function call_sliced(cmd, key, args)
  for i = 1, #args, SLICE do redis.call(cmd, key, unpack(args, i, math.min(i + SLICE - 1, #args))) end
end
local n = tonumber(ARGV[3])
local idem_key = KEYS[1]
local NONE = {}
local extras = {}
for i = 0, n - 1 do
  local text = ARGV[3 + i * W + 8]
  extras[i] = text ~= '' and cjson.decode(text) or NONE
end
-- The job an idempotency key already names, per job of the batch (an earlier job of the same
-- batch counts): read once here, used when storing below.
local existing_for = {}
local any_existing = false
local seen = {}
local new_keys = {}
do
  local idems, wanted = {}, {}
  for i = 0, n - 1 do
    local idem = extras[i].k or ''
    if idem ~= '' then idems[#idems + 1] = idem; wanted[#wanted + 1] = i end
  end
  local by_index = {}
  for from = 1, #idems, SLICE do
    local stored = redis.call('HMGET', idem_key, unpack(idems, from, math.min(from + SLICE - 1, #idems)))
    for k = 1, #stored do by_index[wanted[from + k - 1]] = stored[k] end
  end
  for i = 0, n - 1 do
    local b = 3 + i * W
    local id, idem = ARGV[b + 1], extras[i].k or ''
    local known = idem ~= '' and (seen['k' .. idem] or by_index[i])
    existing_for[i] = known
    if known then
      any_existing = true
    else
      if seen[id] then return {'DUPLICATE', id} end
      seen[id] = true
      if idem ~= '' then seen['k' .. idem] = id end
      new_keys[#new_keys + 1] = job_key(id)
    end
  end
end
-- One EXISTS for every new id and the watchers' key: a count of 0 (the usual case) answers both.
if #new_keys > 0 then
  local count = redis.call('EXISTS', P .. 'watching', unpack(new_keys, 1, math.min(SLICE, #new_keys)))
  for from = SLICE + 1, #new_keys, SLICE do
    count = count + redis.call('EXISTS', unpack(new_keys, from, math.min(from + SLICE - 1, #new_keys)))
  end
  if count == 0 then
    watching = false
  elseif count > (is_watching() and 1 or 0) then
    for i = 0, n - 1 do
      local id = ARGV[3 + i * W + 1]
      if not existing_for[i] and redis.call('EXISTS', job_key(id)) == 1 then return {'DUPLICATE', id} end
    end
  end
end
local codes, out = {}, {'OK', NOW}
local lists, list_order = {}, {}
local by_status = {QUEUED = {}, SCHEDULED = {}, PENDING = {}}
local counted, other_queues = {}, {}
local scheduled, idem_pairs = {}, {}
for i = 0, n - 1 do
  local b = 3 + i * W
  local id, task, queue = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local x = extras[i]
  local idem = x.k or ''
  local existing = existing_for[i]
  if existing then
    out[#out + 1] = {0, existing, redis.call('HGETALL', job_key(existing))}
  else
    local run_at = x.r
    local delay = x.d
    if not run_at and delay and delay > 0 then run_at = NOW + delay end
    local status = 'QUEUED'
    if x.h == 1 then status = 'PENDING' elseif run_at and run_at > NOW then status = 'SCHEDULED' end
    local fields = {'task', task, 'queue', queue, 'payload', ARGV[b + 4], 'opts', ARGV[b + 5], 'created', NOW_S,
      'status', status, 'rttl', ARGV[b + 6], 'fttl', ARGV[b + 7]}
    local meta, project, user = x.m or '', x.p or '', x.u or ''
    if meta ~= '' then fields[#fields + 1] = 'meta'; fields[#fields + 1] = meta end
    if project ~= '' then fields[#fields + 1] = 'project'; fields[#fields + 1] = project end
    if user ~= '' then fields[#fields + 1] = 'user'; fields[#fields + 1] = user end
    if idem ~= '' then fields[#fields + 1] = 'idem'; fields[#fields + 1] = idem end
    if status ~= 'PENDING' then fields[#fields + 1] = 'enqueued'; fields[#fields + 1] = NOW_S end
    if run_at then fields[#fields + 1] = 'runAt'; fields[#fields + 1] = run_at end
    if status == 'PENDING' then
      fields[#fields + 1] = 'init'; fields[#fields + 1] = 'job:created'
    elseif status == 'SCHEDULED' then
      fields[#fields + 1] = 'init'; fields[#fields + 1] = 'job:scheduled'
    end
    redis.call('HSET', job_key(id), unpack(fields))
    local members = by_status[status]
    members[#members + 1] = 0
    members[#members + 1] = id
    if status == 'QUEUED' then
      local list = lists[queue]
      if not list then list = {}; lists[queue] = list; list_order[#list_order + 1] = queue end
      list[#list + 1] = id
    else
      local field = queue .. '|' .. status
      if not counted[field] then counted[field] = 0; counted[#counted + 1] = field end
      counted[field] = counted[field] + 1
      other_queues[queue] = true
      if status == 'SCHEDULED' then scheduled[#scheduled + 1] = run_at; scheduled[#scheduled + 1] = id end
    end
    if project ~= '' then redis.call('ZADD', P .. 'project:' .. project, 0, id) end
    if user ~= '' then redis.call('ZADD', P .. 'user:' .. user, 0, id) end
    if idem ~= '' then idem_pairs[#idem_pairs + 1] = idem; idem_pairs[#idem_pairs + 1] = id end
    if watching then
      local etype = (status == 'PENDING' and 'job:created') or (status == 'SCHEDULED' and 'job:scheduled') or 'job:enqueued'
      emit(id, {queue = queue, task = task}, etype, status, nil, true)
    end
    codes[#codes + 1] = string.sub(status, 1, 1) .. (run_at or '')
    out[#out + 1] = {1, status, run_at or ''}
  end
end
for status, members in pairs(by_status) do call_sliced('ZADD', P .. 'status:' .. status, members) end
for _, field in ipairs(counted) do redis.call('HINCRBY', P .. 'counts', field, counted[field]) end
call_sliced('ZADD', P .. 'scheduled', scheduled)
call_sliced('HSET', idem_key, idem_pairs)
-- A queue list that already held jobs before this call is a known queue (every job in a list
-- was enqueued here first): only a queue that was empty needs adding to `queues` (and a wake-up).
for _, queue in ipairs(list_order) do
  local ids = lists[queue]
  local length = 0
  for from = 1, #ids, SLICE do
    length = redis.call('RPUSH', P .. 'queue:' .. queue, unpack(ids, from, math.min(from + SLICE - 1, #ids)))
  end
  if length == #ids then
    redis.call('SADD', P .. 'queues', queue)
    wake(queue, length, #ids)
  end
end
for queue in pairs(other_queues) do
  if not lists[queue] then redis.call('SADD', P .. 'queues', queue) end
end
if any_existing then return out end
return 'OK|' .. NOW_S .. '|' .. table.concat(codes, '|')
