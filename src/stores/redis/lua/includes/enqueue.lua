-- The general enqueue, shared by enqueue.lua and the schedule scripts that make jobs
-- (fire-schedule.lua, trigger-schedule.lua), so a job a schedule makes is stored, indexed,
-- announced and woken for exactly as an enqueued one.
-- @include links
-- A job's arguments: id, task, queue, payload, opts, resultTtl, failureTtl, extra, where extra
-- is '' or a JSON object of what most jobs lack: m (meta JSON text), p (project), u (user),
-- k (idempotency key), h (1: hold as PENDING), d (delay ms), r (run at, ms), s and f (the
-- schedule that made the job and its fire time), n (the ids it depends on), y (its dependency
-- failure policy, 'cancel' or 'run'; absent: fail), o (the job that owns it), g (its flow), l
-- (its limit keys as 'lk' holds them, see includes/lanes.lua: it then waits in its lane).
local ENQUEUE_WIDTH = 8
local NO_EXTRA = {}
-- A new job's first event, by the status it starts in (rebuilt from the hash's 'init' field;
-- absent: job:enqueued).
local INIT_EVENTS = {PENDING = 'job:created', SCHEDULED = 'job:scheduled', DEFERRED = 'job:deferred',
  FAILED = 'job:failed', CANCELED = 'job:canceled'}

-- Writes the hash of a job that does not wait packed (fields from the job's arguments at `b`).
local function write_hash(id, task, queue, b, status, x, run_at, plan)
  local fields = {'task', task, 'queue', queue, 'payload', ARGV[b + 4], 'opts', ARGV[b + 5], 'created', NOW_S,
    'status', status, 'rttl', ARGV[b + 6], 'fttl', ARGV[b + 7]}
  if status ~= 'PENDING' then fields[#fields + 1] = 'enqueued'; fields[#fields + 1] = NOW_S end
  if x ~= NO_EXTRA then
    if x.m then fields[#fields + 1] = 'meta'; fields[#fields + 1] = x.m end
    if x.p and x.p ~= '' then fields[#fields + 1] = 'project'; fields[#fields + 1] = x.p end
    if x.u and x.u ~= '' then fields[#fields + 1] = 'user'; fields[#fields + 1] = x.u end
    if x.k then fields[#fields + 1] = 'idem'; fields[#fields + 1] = x.k end
    if run_at then fields[#fields + 1] = 'runAt'; fields[#fields + 1] = run_at end
    -- (A schedule's job: 'sid' names the schedule, 'fire' is the fire time it stands for.)
    if x.s then
      fields[#fields + 1] = 'sid'; fields[#fields + 1] = x.s
      fields[#fields + 1] = 'fire'; fields[#fields + 1] = x.f
    end
    if plan or x.o or x.g then link_fields(fields, x, plan, status) end
    if x.l then fields[#fields + 1] = 'lk'; fields[#fields + 1] = x.l end
    local init = INIT_EVENTS[status]
    if init then fields[#fields + 1] = 'init'; fields[#fields + 1] = init end
  end
  redis.call('HSET', job_key(id), unpack(fields))
end

-- Stores `n` new jobs atomically (all or none), as QUEUED, SCHEDULED or PENDING, their
-- arguments at ARGV[from + 1 ..] (ENQUEUE_WIDTH each); `idem_key` is the idempotency hash.
-- Returns {'OK', now, per job: its code | {0, existingId, existingHash}} and whether any job's
-- idempotency key named an existing job, where a new job's code is its status letter (Q, S, P,
-- D, F, C) and its run time if it has one, and for a job with dependencies '/' and its open,
-- failed and canceled counts (then, when one failed or was canceled, the 1-based index of the
-- first such and 1 if it was canceled, else 0); or {'DUPLICATE', id} or
-- {'DEPENDENCY_NOT_FOUND', id, dependency id} with nothing written. Index, list and idempotency
-- writes go out once per call (one variadic command per key). `owner`, when given, is the
-- {o = owner id, g = flow id} every job of the call gets (add-children.lua).
local function enqueue_jobs(idem_key, from, n, owner)
  local W = ENQUEUE_WIDTH
  -- Per job: its decoded extra (false when empty), and the job its idempotency key already names
  -- (an earlier job of the same batch counts). Tables a batch does not need are never made: a
  -- single enqueue is mostly this function's fixed cost.
  local extras, existing_for = {}, {}
  local any_idem, any_existing, any_links = false, false, owner ~= nil
  for i = 0, n - 1 do
    local text = ARGV[from + i * W + 8]
    local x = text ~= '' and cjson.decode(text)
    if owner then
      x = x or {}
      x.o, x.g = owner.o, owner.g
    end
    extras[i] = x
    if x and x.k then any_idem = true end
    if x and (x.n or x.o or x.g) then any_links = true end
  end
  local new_keys = {}
  do
    local by_index = {}
    if any_idem then
      local idems, wanted = {}, {}
      for i = 0, n - 1 do
        local x = extras[i]
        if x and x.k then idems[#idems + 1] = x.k; wanted[#wanted + 1] = i end
      end
      for at = 1, #idems, UNPACK_SLICE do
        local stored = redis.call('HMGET', idem_key, unpack(idems, at, math.min(at + UNPACK_SLICE - 1, #idems)))
        for k = 1, #stored do by_index[wanted[at + k - 1]] = stored[k] end
      end
    end
    local seen_ids, seen_keys = {}, {}
    for i = 0, n - 1 do
      local id, x = ARGV[from + i * W + 1], extras[i]
      local idem = x and x.k
      local known = idem and (seen_keys[idem] or by_index[i])
      existing_for[i] = known
      if known then
        any_existing = true
      else
        if seen_ids[id] then return {'DUPLICATE', id} end
        seen_ids[id] = true
        if idem then seen_keys[idem] = id end
        new_keys[#new_keys + 1] = job_key(id)
      end
    end
  end
  -- One EXISTS for every new id and the watchers' key: a count of 0 (the usual case) answers both.
  if #new_keys > 0 then
    local count = redis.call('EXISTS', P .. 'watching', unpack(new_keys, 1, math.min(UNPACK_SLICE, #new_keys)))
    for at = UNPACK_SLICE + 1, #new_keys, UNPACK_SLICE do
      count = count + redis.call('EXISTS', unpack(new_keys, at, math.min(at + UNPACK_SLICE - 1, #new_keys)))
    end
    if count == 0 then
      watching = false
    elseif count > (is_watching() and 1 or 0) then
      for i = 0, n - 1 do
        local id = ARGV[from + i * W + 1]
        if not existing_for[i] and redis.call('EXISTS', job_key(id)) == 1 then return {'DUPLICATE', id} end
      end
    end
    -- Packed waiting jobs have no hash: the QUEUED index knows their ids.
    for i = 0, n - 1 do
      local id = ARGV[from + i * W + 1]
      if not existing_for[i] and qindex_get(id) then return {'DUPLICATE', id} end
    end
  end
  -- Dependencies are checked before anything is written.
  local links = nil
  if any_links then
    local missing_in, missing
    links, missing_in, missing = check_dependencies(from, W, n, extras, existing_for)
    if not links then return {'DEPENDENCY_NOT_FOUND', missing_in, missing} end
  end
  -- Per job: its code (status letter and run time) when new, {0, id, hash} when found.
  local out = {'OK', NOW}
  local lists, list_order, by_status, other, laned = {}, {}, {}, nil, nil
  for i = 0, n - 1 do
    local b = from + i * W
    local id, task, queue = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
    local x = extras[i] or NO_EXTRA
    local existing = existing_for[i]
    if existing then
      out[#out + 1] = {0, existing, read_job(existing)}
    else
      local run_at = x.r
      if not run_at and x.d and x.d > 0 then run_at = NOW + x.d end
      local status = 'QUEUED'
      if x.h == 1 then status = 'PENDING' elseif run_at and run_at > NOW then status = 'SCHEDULED' end
      local plan = x.n and plan_dependencies(x.n, x.y, links.known)
      if plan and plan.status then status = plan.status end
      -- A job with nothing but the usual fields waits packed in its queue list (no hash): see
      -- the notes in includes/queued.lua.
      -- (Its extra, if any, holds only meta, project and user: kept as sent, JSON text.)
      -- (Ids and task names hold no NUL: the store refuses them before any script runs.)
      -- (A job with dependencies or an owner, or one a job of the call depends on, has a hash.)
      local packed = status == 'QUEUED' and (x == NO_EXTRA or not (x.k or x.h or x.d or x.r or x.s or x.n or x.o or x.g or x.l))
        and not (links and links.named[id]) and queue_number(queue) < QUEUE_NUMBERS
      if packed then
        local opts, rttl, fttl = ARGV[b + 5], ARGV[b + 6], ARGV[b + 7]
        packed = (x == NO_EXTRA and '' or '\0\0' .. ARGV[b + 8]) .. '\0' .. id .. '\0' .. task .. '\0' .. NOW_S .. '\0' ..
          (opts == PACKED_OPTS and '' or opts) .. '\0' .. (rttl == PACKED_RTTL and '' or rttl) .. '\0' ..
          (fttl == PACKED_FTTL and '' or fttl) .. '\0' .. ARGV[b + 4]
      else
        write_hash(id, task, queue, b, status, x, run_at, plan)
      end
      if links then
        links.known[id] = status
        if x.n or x.o or x.g then link_job(id, x, links) end
      end
      if status == 'QUEUED' and x.l then
        -- (A job under limits waits in its lane: grouped per queue and lane.)
        local name = queue .. '|' .. lane_of(x.l)
        local lane = laned and laned[name]
        if not lane then
          laned = laned or {order = {}}
          lane = {queue = queue, lane = lane_of(x.l)}
          laned[name] = lane
          laned.order[#laned.order + 1] = lane
        end
        lane[#lane + 1] = id
      elseif status == 'QUEUED' then
        local list = lists[queue]
        if not list then list = {ids = {}}; lists[queue] = list; list_order[#list_order + 1] = queue end
        list[#list + 1] = packed or id
        list.ids[#list] = id
      else
        local members = by_status[status]
        if not members then members = {}; by_status[status] = members end
        members[#members + 1] = 0
        members[#members + 1] = id
        -- Counted per queue and status; scheduled jobs also go to `scheduled`.
        other = other or {queues = {}, scheduled = {}}
        count_later(queue .. '|' .. status, 1)
        other.queues[queue] = true
        if status == 'SCHEDULED' then
          other.scheduled[#other.scheduled + 1] = run_at
          other.scheduled[#other.scheduled + 1] = id
        elseif status == 'FAILED' or status == 'CANCELED' then
          -- Ended at once by a dependency (its policy): final, with its retention running.
          redis.call('ZADD', P .. 'expiry', NOW + tonumber(ARGV[b + 7]) * 1000, id)
          if status == 'FAILED' then count_finish(queue, 'fail') end
        end
      end
      if x ~= NO_EXTRA then
        if x.p and x.p ~= '' then redis.call('ZADD', P .. 'project:' .. x.p, 0, id) end
        if x.u and x.u ~= '' then redis.call('ZADD', P .. 'user:' .. x.u, 0, id) end
        if x.k then redis.call('HSET', idem_key, x.k, id) end
        if x.s then redis.call('ZADD', P .. 'schedule-jobs:' .. x.s, 0, id) end
      end
      if watching then
        emit(id, {queue = queue, task = task}, INIT_EVENTS[status] or 'job:enqueued', status, plan and plan.error and '"error":' .. plan.error, true)
      end
      local code = run_at and (string.sub(status, 1, 1) .. run_at) or string.sub(status, 1, 1)
      if plan then
        code = code .. '/' .. plan.waiting .. ',' .. plan.failed .. ',' .. plan.canceled ..
          (plan.bad and (',' .. plan.bad .. ',' .. (links.known[x.n[plan.bad]] == 'CANCELED' and '1' or '0')) or '')
      end
      out[#out + 1] = code
    end
  end
  for status, members in pairs(by_status) do call_sliced('ZADD', P .. 'status:' .. status, members) end
  flush_counts()
  if other then call_sliced('ZADD', P .. 'scheduled', other.scheduled) end
  -- A queue list that already held jobs before this call is a known queue (every job in a list
  -- was enqueued here first): only a queue that was empty needs adding to `queues` (and a wake-up).
  -- Each new entry's position number (head + list index) goes into the QUEUED index with it.
  for _, queue in ipairs(list_order) do
    local entries = lists[queue]
    local length = 0
    for at = 1, #entries, UNPACK_SLICE do
      length = redis.call('RPUSH', P .. 'queue:' .. queue, unpack(entries, at, math.min(at + UNPACK_SLICE - 1, #entries)))
    end
    local first = queue_head(queue) + length - #entries
    local qn = queue_numbers[queue]
    for k, entry in ipairs(entries) do
      local id = entries.ids[k]
      qindex_add(id, entry == id and '' or (first + k - 1) * QUEUE_NUMBERS + qn)
    end
    if length == #entries then
      redis.call('SADD', P .. 'queues', queue)
      wake(queue, length, #entries)
    end
  end
  if laned then
    for _, lane in ipairs(laned.order) do
      for _, id in ipairs(lane) do qindex_add(id, '') end
      lane_push(lane.queue, lane.lane, lane, false)
    end
  end
  if other then
    for queue in pairs(other.queues) do
      if not lists[queue] then redis.call('SADD', P .. 'queues', queue) end
    end
  end
  return out, any_existing
end
