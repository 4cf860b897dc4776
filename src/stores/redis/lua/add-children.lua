-- addChildren: under a running job's lease, creates jobs as its children (owned by it, and in
-- its flow: the job's own, or one the job now roots) through the general enqueue
-- (includes/enqueue.lua), and makes every job that waits for the running job (an edge not
-- counted yet) wait for each new child too: the child joins its deps, total and open count (an
-- edge to a child that starts final is counted at once, and the waiting job reacts to it).
-- KEYS[1] the running job's hash, KEYS[2] idempotency hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] lease token, ARGV[5] n = child count,
-- then 8 per child (as in enqueue.lua)
-- Returns {'OK', per child: {id, flat fields}} | {'LEASE_LOST'} | {'DUPLICATE', id} |
-- {'DEPENDENCY_NOT_FOUND', id, dependency id}; only OK has written anything.
-- @include enqueue
-- @include dependencies
local id = ARGV[3]
local v = redis.call('HMGET', KEYS[1], 'status', 'token', 'flow')
if v[1] ~= 'PROCESSING' or v[2] ~= ARGV[4] then return {'LEASE_LOST'} end
local out = enqueue_jobs(KEYS[2], 5, tonumber(ARGV[5]), {o = id, g = v[3] or id})
if out[1] ~= 'OK' then return out end
if not v[3] then redis.call('HSET', KEYS[1], 'flow', id) end
-- The new children and their statuses (a child whose idempotency key found a job is not new).
local children, statuses, reply = {}, {}, {'OK'}
for i = 3, #out do
  if type(out[i]) == 'string' then
    local child = ARGV[5 + (i - 3) * ENQUEUE_WIDTH + 1]
    children[#children + 1] = child
    statuses[#children] = redis.call('HGET', job_key(child), 'status')
  end
end
-- Adds the children to one job waiting for the running job; it reacts to those that ended.
local function wait_for_children(dependent)
  local job = load(dependent, unpack(DEPENDENT_FIELDS))
  if not job.status then return end
  local key = job_key(dependent)
  local deps = cjson.decode(redis.call('HGET', key, 'deps') or '[]')
  local waiting, failed, canceled, ended = 0, 0, 0, {}
  for k, child in ipairs(children) do
    local status = statuses[k]
    deps[#deps + 1] = child
    local final = is_final(status)
    redis.call('HSET', P .. 'dependents:' .. child, dependent, final and '1' or '0')
    redis.call('HINCRBY', job_key(child), 'dn', 1)
    if final then ended[#ended + 1] = k else waiting = waiting + 1 end
    if status == 'FAILED' then failed = failed + 1 elseif status == 'CANCELED' then canceled = canceled + 1 end
  end
  redis.call('HSET', key, 'deps', cjson.encode(deps))
  redis.call('HINCRBY', key, 'dt', #children)
  job.dw = redis.call('HINCRBY', key, 'dw', waiting)
  if failed > 0 then redis.call('HINCRBY', key, 'dfl', failed) end
  if canceled > 0 then redis.call('HINCRBY', key, 'dcx', canceled) end
  -- (The edge to the running job is still open: an ended child can end the job, never release it.)
  for _, k in ipairs(ended) do
    local after = react(dependent, job, children[k], statuses[k])
    if after then
      settle_dependents(dependent, after)
      return
    end
  end
end
if #children > 0 then
  local edges = redis.call('HGETALL', P .. 'dependents:' .. id)
  for e = 1, #edges, 2 do
    if edges[e + 1] == '0' then wait_for_children(edges[e]) end
  end
end
for i = 3, #out do
  local child = type(out[i]) == 'string' and ARGV[5 + (i - 3) * ENQUEUE_WIDTH + 1] or out[i][2]
  reply[#reply + 1] = {child, read_job(child)}
end
return reply
