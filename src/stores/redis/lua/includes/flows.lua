-- Subtrees and flows (decision 0018): the retry of a job that owns jobs, the checks of a removal,
-- and retention (a job that an unfinished job needs is kept; a flow goes with its root).
-- @include dependencies
-- A job owned by another has 'parent' and is in `children:<parent>`; a job of a flow or batch
-- has 'flow' (its root's id) and, unless it is the root, is in `flow:<root>`.

-- A FAILED or CANCELED job of a subtree being retried: a fresh attempt count, the retry counted,
-- and DEFERRED until its edges are recounted (so an edge to it counts as open).
local function reset_job(id)
  local key = job_key(id)
  local job = load(id, 'status', 'queue')
  redis.call('ZREM', P .. 'expiry', id)
  redis.call('HDEL', key, 'attempt', 'stalls', 'error', 'result', 'progress', 'started', 'completed', 'runAt')
  redis.call('HSET', key, 'status', 'DEFERRED', 'enqueued', NOW_S)
  redis.call('HINCRBY', key, 'retries', 1)
  set_status(id, job.queue, job.status, 'DEFERRED')
end

-- Recounts a reset job's edges from what its dependencies are now (one deleted since counts as
-- ended), then starts it: DEFERRED while one is open, ended by its policy (and settled) at a
-- failed or canceled one, else queued.
local function recount(id)
  local key = job_key(id)
  local deps = cjson.decode(redis.call('HGET', key, 'deps') or '[]')
  local waiting, failed, canceled, bad, bad_status = 0, 0, 0, nil, nil
  for _, dep in ipairs(deps) do
    local status = redis.call('HGET', job_key(dep), 'status')
    if status then redis.call('HSET', P .. 'dependents:' .. dep, id, is_final(status) and '1' or '0') end
    if status and not is_final(status) then waiting = waiting + 1 end
    if status == 'FAILED' then failed = failed + 1 elseif status == 'CANCELED' then canceled = canceled + 1 end
    if not bad and (status == 'FAILED' or status == 'CANCELED') then bad, bad_status = dep, status end
  end
  if #deps > 0 then redis.call('HSET', key, 'dw', waiting, 'dfl', failed, 'dcx', canceled) end
  local job = load(id, unpack(DEPENDENT_FIELDS))
  if bad and (job.dpol or 'fail') ~= 'run' then
    local after = react(id, job, bad, bad_status)
    settle_dependents(id, after)
  elseif waiting > 0 then
    emit(id, job, 'job:deferred', 'DEFERRED')
  else
    release_deferred(id, job)
  end
end

-- Retries a job that owns jobs: every FAILED or CANCELED job of its subtree, the job too, starts
-- again, its edges recounted; only what failed runs again, then what depends on it.
local function retry_subtree(root)
  local reset = {}
  for _, id in ipairs((subtree(root))) do
    local status = redis.call('HGET', job_key(id), 'status')
    if status == 'FAILED' or status == 'CANCELED' then
      reset_job(id)
      reset[#reset + 1] = id
    end
  end
  for _, id in ipairs(reset) do
    -- (A job a recount before it ended again is not started twice.)
    if redis.call('HGET', job_key(id), 'status') == 'DEFERRED' then recount(id) end
  end
end

-- The first dependent of `id` that is not final and not in `except` (a set, or nil), or nil.
local function unfinished_dependent(id, except)
  for _, dependent in ipairs(redis.call('HKEYS', P .. 'dependents:' .. id)) do
    if not (except and except[dependent]) then
      local status = redis.call('HGET', job_key(dependent), 'status')
      if status and not is_final(status) then return dependent end
    end
  end
  return nil
end

-- The jobs a removal of `root` deletes: its subtree and, for a flow's root, the flow's members;
-- or nil and the id of an unfinished job among them (the root aside) or of an unfinished job
-- outside them that needs one of them.
local function removal(root)
  local ids, within = subtree(root)
  if redis.call('HGET', job_key(root), 'flow') == root then
    for _, member in ipairs(redis.call('SMEMBERS', P .. 'flow:' .. root)) do
      if not within[member] then within[member] = true; ids[#ids + 1] = member end
    end
  end
  for i, id in ipairs(ids) do
    local v = redis.call('HMGET', job_key(id), 'status', 'dn')
    if i > 1 and v[1] and not is_final(v[1]) then return nil, id end
    local waiting = v[2] and v[2] ~= '0' and unfinished_dependent(id, within)
    if waiting then return nil, waiting end
  end
  return ids
end

-- Retention of a finished job whose time came: 'member' (a flow's member waits for its root),
-- 'needed' (an unfinished job needs it, or it is a root whose flow is unfinished), or nil: it
-- goes, with its flow's members when it is a root (delete_with_flow). `job` holds the job's
-- 'flow' and 'dn' when the caller read them (else they are read here).
local function retention_hold(id, job)
  if not job then job = load(id, 'flow', 'dn') end
  local flow = job.flow
  if flow and flow ~= id then return 'member' end
  if job.dn and job.dn ~= '0' and unfinished_dependent(id, nil) then return 'needed' end
  if flow == id then
    for _, member in ipairs(redis.call('SMEMBERS', P .. 'flow:' .. id)) do
      local status = redis.call('HGET', job_key(member), 'status')
      if status and not is_final(status) then return 'needed' end
    end
  end
  return nil
end

-- A finished job that an unfinished job still needs is looked at again this much later, so
-- prune's bounded scan does not meet it again at once.
local KEEP_NEEDED_MS = 60000

-- Deletes a job retention let go, with its flow's members when it is a root; returns how many
-- jobs were deleted.
local function delete_with_flow(id)
  local deleted = 0
  if redis.call('HGET', job_key(id), 'flow') == id then
    for _, member in ipairs(redis.call('SMEMBERS', P .. 'flow:' .. id)) do
      if delete_job(member) then deleted = deleted + 1 end
    end
  end
  if delete_job(id) then deleted = deleted + 1 end
  return deleted
end
