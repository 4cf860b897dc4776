-- Completions, shared by complete (a batch on its own) and claim (the batch a worker's next
-- claim carries). Each job is settled only under its current lease token; a stale token changes
-- nothing for that job and does not affect the others. Index, counter and expiry writes go out
-- once per call: `finish_completions` (then flush_counts) must run before the script returns.
-- A job others depend on ('dn', read with the fields every completion reads) settles its
-- dependents at once (includes/dependencies.lua), and a job under limits ('lk', read the same
-- way) frees its slots (includes/lanes.lua); other jobs pay nothing for either.
-- @include dependencies
local completed_per_queue = {}
-- Completions that share a retention end share one `expiry` member: a list of their ids
-- (groups by rttl text, each {at = its end, ids...}).
local expiry_groups, expiry_order = {}, {}
-- The jobs to take out of `leases` and add to the COMPLETED index (one command each).
local unleased, completed_members = {}, {}

-- Settles the (id, token, result JSON) triples in ARGV[from..to]; appends 'OK' or 'LEASE_LOST'
-- per job to `out`.
local function complete_range(from, to, out)
  for i = from, to, 3 do
    local id, token = ARGV[i], ARGV[i + 1]
    local key = P .. 'job:' .. id
    -- The fields every completion needs; an event (someone watches, or the attempt already has
    -- a timeline) reads the rest below.
    local v = redis.call('HMGET', key, 'status', 'token', 'queue', 'rttl', 'sf', 'dn', 'lk')
    if v[1] ~= 'PROCESSING' or v[2] ~= token then
      out[#out + 1] = 'LEASE_LOST'
    else
      local queue = v[3]
      -- As finish() does, one job at a time; the token field stays, the status check fences it.
      redis.call('HSET', key, 'status', 'COMPLETED', 'completed', NOW_S, 'result', ARGV[i + 2])
      unleased[#unleased + 1] = id
      -- (Scores as text: a number argument is formatted with sprintf on every use.)
      completed_members[#completed_members + 1] = '0'
      completed_members[#completed_members + 1] = id
      -- (A claimed packed job has its own 'rttl' only when it is not the usual one.) One group
      -- per retention: jobs of a batch mostly share theirs, parsed once.
      local rttl = v[4] or PACKED_RTTL
      local group = expiry_groups[rttl]
      if not group then
        group = {at = NOW + tonumber(rttl) * 1000}
        expiry_groups[rttl] = group
        expiry_order[#expiry_order + 1] = group
      end
      group[#group + 1] = id
      completed_per_queue[queue] = (completed_per_queue[queue] or 0) + 1
      -- An attempt that wrote nothing to the timeline yet (no progress) stores nothing now
      -- either: jobEvents rebuilds its start and completion from the hash. Watchers still get
      -- the event.
      if v[5] or is_watching() then
        -- (No 'enqueued': the attempt's start entry is already written when sf is set, and
        -- without sf the event only goes to the stream.)
        local job = load(id, 'task', 'attempt', 'worker', 'started')
        job.status, job.queue, job.sf = 'PROCESSING', queue, v[5]
        emit(id, job, 'job:completed', 'COMPLETED', '"durationMs":' .. (NOW - tonumber(job.started)), not job.sf)
      end
      if v[7] then free_later(v[7]) end
      if v[6] then settle_dependents(id, 'COMPLETED') end
      out[#out + 1] = 'OK'
    end
  end
end

-- Writes the expiry entries, freed slots and finish counts of the completions (then
-- flush_counts, which the caller may share with its own batched writes).
local function finish_completions()
  flush_freed()
  local expiry = P .. 'expiry'
  for _, group in ipairs(expiry_order) do
    if #group == 1 then
      redis.call('ZADD', expiry, group.at, group[1])
    else
      -- One member for the group; its ids wait in a list named after it (prune checks each).
      local member = '#' .. NOW_S .. '.' .. group[1]
      redis.call('RPUSH', P .. 'expiry:' .. member, unpack(group))
      redis.call('ZADD', expiry, group.at, member)
    end
  end
  if #unleased > 0 then
    redis.call('ZREM', P .. 'leases', unpack(unleased))
    redis.call('ZADD', P .. 'status:COMPLETED', unpack(completed_members))
  end
  for queue, count in pairs(completed_per_queue) do
    count_later(queue .. '|PROCESSING', -count)
    count_later(queue .. '|COMPLETED', count)
    count_finish(queue, 'done', count)
  end
end
