-- The dependency part of an enqueue (decision 0018): every dependency is checked before anything
-- is written, a new job's first status follows from its dependencies' statuses, and each edge
-- is recorded on the dependency (see includes/dependencies.lua for the fields and keys).
-- @include job

-- Gives a packed waiting job a hash, so that it can carry what a job others depend on carries:
-- its list entry becomes its id (same place) and its QUEUED index entry '' (a job with a hash).
-- A job that has a hash already is left as it is.
local function give_hash(id)
  local packed = find_packed(id)
  if not packed then return end
  redis.call('LSET', P .. 'queue:' .. packed.queue, packed.at, id)
  redis.call('HSET', job_key(id), unpack(packed_flat(packed)))
  redis.call('HSET', qbucket(id).key, id, '')
end

-- Checks, before anything is written, that every dependency of the new jobs (their `n`, the
-- jobs' arguments from ARGV[from + 1]) is a stored job or an earlier new job of the call
-- (`width` arguments per job): a job can only name jobs that exist before it, so no
-- cycle can be built. Returns
-- {known = dependency id -> its status (false: missing), packed = ids of packed waiting jobs,
-- named = ids some new job names}, or nil, the job's id and the missing dependency.
local function check_dependencies(from, width, n, extras, existing_for)
  local known, packed, named, earlier = {}, {}, {}, {}
  for i = 0, n - 1 do
    local id, x = ARGV[from + i * width + 1], extras[i]
    if not existing_for[i] then
      if x and x.n then
        for _, dep in ipairs(x.n) do
          if not earlier[dep] and known[dep] == nil then
            local status = redis.call('HGET', job_key(dep), 'status')
            if not status and find_packed(dep) then status, packed[dep] = 'QUEUED', true end
            known[dep] = status or false
          end
          if not earlier[dep] and not known[dep] then return nil, id, dep end
          named[dep] = true
        end
      end
      -- (After its own dependencies: a job that names itself is not found.)
      earlier[id] = true
    end
  end
  return {known = known, packed = packed, named = named}
end

-- Where a new job with dependencies `deps` and policy `policy` (nil: fail) starts, from the
-- statuses in `known`: {status (DEFERRED, FAILED, CANCELED, or nil to start as it would without
-- any), waiting, failed, canceled, bad (1-based index of the first failed or canceled one)}.
local function plan_dependencies(deps, policy, known)
  local plan = {waiting = 0, failed = 0, canceled = 0}
  for i, dep in ipairs(deps) do
    local status = known[dep]
    if status == 'FAILED' then
      plan.failed = plan.failed + 1
    elseif status == 'CANCELED' then
      plan.canceled = plan.canceled + 1
    elseif status ~= 'COMPLETED' then
      plan.waiting = plan.waiting + 1
    end
    if not plan.bad and (status == 'FAILED' or status == 'CANCELED') then plan.bad = i end
  end
  if plan.bad and policy ~= 'run' then
    plan.status = policy == 'cancel' and 'CANCELED' or 'FAILED'
    if plan.status == 'FAILED' then
      local dep = deps[plan.bad]
      local verb = known[dep] == 'CANCELED' and ' was canceled' or ' failed'
      plan.error = '{"code":"DEPENDENCY_FAILED","message":' .. cjson.encode('Dependency ' .. dep .. verb) .. '}'
    end
  elseif plan.waiting > 0 then
    plan.status = 'DEFERRED'
  end
  return plan
end

-- The hash fields of a new job's dependencies and ownership (appended to `fields`).
local function link_fields(fields, x, plan, status)
  if plan then
    local n = #fields
    fields[n + 1], fields[n + 2] = 'deps', cjson.encode(x.n)
    fields[n + 3], fields[n + 4] = 'dt', #x.n
    fields[n + 5], fields[n + 6] = 'dw', plan.waiting
    fields[n + 7], fields[n + 8] = 'dfl', plan.failed
    fields[n + 9], fields[n + 10] = 'dcx', plan.canceled
    if x.y then fields[#fields + 1] = 'dpol'; fields[#fields + 1] = x.y end
    if plan.error then fields[#fields + 1] = 'error'; fields[#fields + 1] = plan.error end
  end
  if x.o then fields[#fields + 1] = 'parent'; fields[#fields + 1] = x.o end
  if x.g then fields[#fields + 1] = 'flow'; fields[#fields + 1] = x.g end
  if status == 'FAILED' or status == 'CANCELED' then fields[#fields + 1] = 'completed'; fields[#fields + 1] = NOW_S end
end

-- Records the edges of new job `id` to its dependencies (after its hash is written): each
-- dependency names it in `dependents:<dep>` (counted already when the dependency is final) and
-- counts one dependent more ('dn'); a packed one gets a hash first. Then its owner and flow sets.
local function link_job(id, x, links)
  if x.n then
    for _, dep in ipairs(x.n) do
      if links.packed[dep] then
        give_hash(dep)
        links.packed[dep] = nil
      end
      local status = links.known[dep]
      local counted = (status == 'COMPLETED' or status == 'FAILED' or status == 'CANCELED') and '1' or '0'
      redis.call('HSET', P .. 'dependents:' .. dep, id, counted)
      redis.call('HINCRBY', job_key(dep), 'dn', 1)
    end
  end
  if x.o then redis.call('SADD', P .. 'children:' .. x.o, id) end
  if x.g and x.g ~= id then redis.call('SADD', P .. 'flow:' .. x.g, id) end
end
