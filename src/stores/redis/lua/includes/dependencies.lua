-- Dependencies (decision 0018): the one "settle dependents" step that every transition making a
-- job final runs (complete, final fail, cancel, a stall past its limit, a dependent ended by its
-- own dependency), and what it does to the dependents: release, fail or cancel them.
-- @include job
-- A job that others depend on has 'dn' (how many) in its hash and `dependents:<id>`, a hash of
-- dependent id -> '0' (edge not counted yet) or '1' (counted). A dependent has 'deps' (the JSON
-- array of its dependencies), 'dt' (total), 'dw' (still open), 'dfl' and 'dcx' (ended FAILED,
-- CANCELED) and 'dpol' ('cancel' or 'run'; absent: fail). Edges are counted once, by the script
-- that moves the dependency to a final status, under the lease check that script already made.

local function is_final(status) return status == 'COMPLETED' or status == 'FAILED' or status == 'CANCELED' end

-- The error of a job failed because dependency `dep` ended `status`.
local function dependency_error(dep, status)
  local verb = status == 'CANCELED' and ' was canceled' or ' failed'
  return '{"code":"DEPENDENCY_FAILED","message":' .. cjson.encode('Dependency ' .. dep .. verb) .. '}'
end

-- Queues a DEFERRED job whose last open dependency ended: at the tail of its queue, or
-- SCHEDULED while its run time is ahead.
local function release_deferred(id, job)
  local key = job_key(id)
  if job.runAt and tonumber(job.runAt) > NOW then
    redis.call('HSET', key, 'status', 'SCHEDULED')
    set_status(id, job.queue, job.status, 'SCHEDULED')
    redis.call('ZADD', P .. 'scheduled', job.runAt, id)
    emit(id, job, 'job:scheduled', 'SCHEDULED')
    return
  end
  redis.call('HSET', key, 'status', 'QUEUED', 'enqueued', NOW_S)
  if job.runAt then redis.call('HDEL', key, 'runAt') end
  to_queue(id, job, job.status, false)
  emit(id, job, 'job:enqueued', 'QUEUED')
end

-- The fields `react` needs of a dependent.
local DEPENDENT_FIELDS = {'status', 'queue', 'task', 'attempt', 'worker', 'fttl', 'runAt', 'dpol', 'dw', 'lk'}

-- What a DEFERRED job does once dependency `dep` ended `dep_status` (its counters already
-- updated; `job.dw` still open): ends by its policy at a failed or canceled one (FAILED naming
-- it, or CANCELED), is released when none is open, or keeps waiting. Returns the final status it
-- took (its own dependents are then to be settled), or nil.
local function react(id, job, dep, dep_status)
  if job.status ~= 'DEFERRED' then return nil end
  local policy = job.dpol or 'fail'
  if (dep_status == 'FAILED' or dep_status == 'CANCELED') and policy ~= 'run' then
    if policy == 'cancel' then
      finish(id, job, 'CANCELED', job.fttl, {})
      emit(id, job, 'job:canceled', 'CANCELED')
      return 'CANCELED'
    end
    local err = dependency_error(dep, dep_status)
    finish(id, job, 'FAILED', job.fttl, {'error', err})
    emit(id, job, 'job:failed', 'FAILED', '"error":' .. err)
    return 'FAILED'
  end
  if tonumber(job.dw) <= 0 then release_deferred(id, job) end
  return nil
end

-- Counts one edge of dependent `id` to `dep`, which ended `dep_status`, then lets it react.
local function count_edge(id, dep, dep_status)
  local job = load(id, unpack(DEPENDENT_FIELDS))
  if not job.status then return nil end
  local key = job_key(id)
  job.dw = redis.call('HINCRBY', key, 'dw', -1)
  if dep_status == 'FAILED' then
    redis.call('HINCRBY', key, 'dfl', 1)
  elseif dep_status == 'CANCELED' then
    redis.call('HINCRBY', key, 'dcx', 1)
  end
  return react(id, job, dep, dep_status)
end

-- The settle step: job `id` just became final (`status`). Counts each of its dependents' edges
-- not counted yet, and lets them react; a dependent that ends too is settled in turn (a
-- worklist, not recursion). Callers call it only for a job whose hash has 'dn' (read with the
-- fields they already read), so a job nobody depends on costs nothing more.
local function settle_dependents(id, status)
  local work, at = {id, status}, 1
  while work[at] do
    local ended, ended_status = work[at], work[at + 1]
    at = at + 2
    local key = P .. 'dependents:' .. ended
    local edges = redis.call('HGETALL', key)
    local marks = {}
    for i = 1, #edges, 2 do
      if edges[i + 1] == '0' then marks[#marks + 1] = edges[i]; marks[#marks + 1] = '1' end
    end
    if #marks > 0 then
      call_sliced('HSET', key, marks)
      for i = 1, #marks, 2 do
        local after = count_edge(marks[i], ended, ended_status)
        if after then work[#work + 1] = marks[i]; work[#work + 1] = after end
      end
    end
  end
end

-- The fields `cancel_job` needs.
local CANCEL_FIELDS = {'status', 'queue', 'task', 'attempt', 'worker', 'fttl', 'started', 'enqueued', 'sf', 'dn', 'lk'}

-- Moves a non-final job to CANCELED (a running one loses its lease at once); its dependents are
-- for the caller to settle.
local function cancel_job(id, job)
  local s = job.status
  -- A waiting job that has a hash is found by LPOS, which walks the queue (O(queue length));
  -- claims never do. A packed one gets its hash here.
  if s == 'QUEUED' then unqueue(id, job, true) end
  if s == 'SCHEDULED' then redis.call('ZREM', P .. 'scheduled', id) end
  finish(id, job, 'CANCELED', job.fttl, {})
  emit(id, job, 'job:canceled', 'CANCELED')
  -- The worker running it hears at once, not at its next heartbeat (decision 0027).
  if s == 'PROCESSING' and job.worker then redis.call('PUBLISH', P .. 'cancel:' .. job.worker, id) end
end

-- Most jobs one flow or batch holds (JOB_BOUNDS.maxFlowJobs): a walk of a subtree stops there,
-- so one script stays bounded even for a tree the client never made.
local MAX_FLOW_JOBS = 10000

-- The ids a job owns, down its whole subtree (`children:<id>` sets), the job first, breadth
-- first, each job's children in id order (creation order: a retry queues them as they were
-- enqueued); and the same ids as a set.
local function subtree(root)
  local ids, within, at = {root}, {[root] = true}, 1
  while ids[at] and #ids <= MAX_FLOW_JOBS do
    local children = redis.call('SMEMBERS', P .. 'children:' .. ids[at])
    table.sort(children, lt)
    for _, child in ipairs(children) do
      if not within[child] then within[child] = true; ids[#ids + 1] = child end
    end
    at = at + 1
  end
  return ids, within
end

-- Cancels every unfinished job below `root` (already CANCELED), then settles each canceled job,
-- the root first: their dependents follow their policies.
local function cancel_owned(root)
  local canceled = {root}
  local ids = subtree(root)
  for i = 2, #ids do
    local job = load(ids[i], unpack(CANCEL_FIELDS))
    if job.status and not is_final(job.status) then
      cancel_job(ids[i], job)
      canceled[#canceled + 1] = ids[i]
    end
  end
  for _, id in ipairs(canceled) do settle_dependents(id, 'CANCELED') end
end

-- A job whose lease expired (or whose worker restarted): back to the tail, or FAILED past the
-- limit (a final transition: its dependents are settled).
local function stall(id, limit, why)
  local job = load(id, 'status', 'queue', 'task', 'attempt', 'worker', 'stalls', 'fttl', 'started', 'enqueued', 'sf', 'dn', 'lk')
  if job.status ~= 'PROCESSING' then
    redis.call('ZREM', P .. 'leases', id)
    return nil
  end
  local stalls = (tonumber(job.stalls) or 0) + 1
  redis.call('HSET', job_key(id), 'stalls', stalls)
  if limit >= 0 and stalls > limit then
    local err = '{"code":"STALLED","message":' ..
      cjson.encode('Stalled ' .. stalls .. ' times (' .. why .. '); stall limit is ' .. limit) .. '}'
    finish(id, job, 'FAILED', job.fttl, {'error', err})
    emit(id, job, 'job:failed', 'FAILED', '"error":' .. err)
    if job.dn then settle_dependents(id, 'FAILED') end
    return 'failed'
  end
  clear_lease(id, job)
  redis.call('HSET', job_key(id), 'status', 'QUEUED', 'enqueued', NOW)
  to_queue(id, job, 'PROCESSING', false)
  emit(id, job, 'job:stalled', 'QUEUED')
  return 'requeued'
end
