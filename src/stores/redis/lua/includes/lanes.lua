-- Lanes of limited jobs and their slots (decision 0023): where a waiting job under limits waits,
-- and the one "free slots" step of every transition that ends a lease. Admission and the claim
-- of a queue's lanes are in includes/admission.lua.
-- @include queued
-- A job under limits has 'lk' in its hash: its (name, key) pairs as 'name|key', joined by NUL
-- (names hold no '|', keys no NUL), its lane's pair first. It never waits packed: it waits in
-- `lane:<queue>|<name>|<key>` (its first pair's lane; a list of ids, no gaps), and the queue's
-- ring `lanes:<queue>` (score: when a claim last served the lane) names every lane of the queue
-- that holds jobs, and '' for the queue's main list while there is any. While the ring exists,
-- the `paused` set also holds '\0<queue>' (no queue name starts with NUL): a claim reads a
-- queue's pause and whether it has lanes with one SMISMEMBER, so a queue without lanes costs it
-- nothing more than before limits. `counts` `<queue>|laned` counts its jobs in lanes
-- (QUEUED is the main list's length less its gaps, plus that); `limit-waiting` counts per pair
-- the jobs of lanes of that pair (every queue), `limit-running` per pair the jobs holding a
-- lease, and `limit-index` (score 0, '<name>\0<key>', byte order = (name, key) order) names the
-- pairs listings may show; listings drop the entries that no longer qualify. (Key names are
-- made where they are used: a script's top level runs on every call, jobs with limits or not.)

-- The lane (first pair) of a job's 'lk'.
local function lane_of(lk)
  local at = string.find(lk, '\0', 1, true)
  return at and string.sub(lk, 1, at - 1) or lk
end

-- Names a pair in `limit-index` (a pair is 'name|key'; the index holds '<name>\0<key>').
local function index_pair(pair)
  redis.call('ZADD', P .. 'limit-index', 0, (string.gsub(pair, '|', '\0', 1)))
end

-- Puts waiting jobs `ids` (all of `lane`) at the tail (or head) of their lane in `queue`; a lane
-- that was empty joins the queue's ring (with the main list) and wakes workers, as a queue
-- going from empty to non-empty does. The QUEUED index and status counters are the caller's.
local function lane_push(queue, lane, ids, head)
  local lkey = P .. 'lane:' .. queue .. '|' .. lane
  local length = 0
  for at = 1, #ids, UNPACK_SLICE do
    length = redis.call(head and 'LPUSH' or 'RPUSH', lkey, unpack(ids, at, math.min(at + UNPACK_SLICE - 1, #ids)))
  end
  redis.call('HINCRBY', P .. 'counts', queue .. '|laned', #ids)
  if redis.call('HINCRBY', P .. 'limit-waiting', lane, #ids) == #ids then index_pair(lane) end
  if length == #ids then
    -- (Both members new: the ring is.)
    if redis.call('ZADD', P .. 'lanes:' .. queue, 'NX', 0, lane, 0, '') == 2 then redis.call('SADD', P .. 'paused', '\0' .. queue) end
    redis.call('SADD', P .. 'queues', queue)
    redis.call('PUBLISH', P .. 'wake', queue)
  end
end

-- Drops a queue's ring (and its flag) once it names no lane but the main list.
local function ring_check(queue)
  local ring = P .. 'lanes:' .. queue
  local left = redis.call('ZCARD', ring)
  if left == 0 or (left == 1 and redis.call('ZSCORE', ring, '')) then
    redis.call('DEL', ring)
    redis.call('SREM', P .. 'paused', '\0' .. queue)
  end
end

-- Counts `n` jobs that left `lane` of `queue` (a claim, a cancel, a removal), and drops the lane
-- from the ring once it is empty (`empty`), the ring with it when only the main list is left.
local function lane_left(queue, lane, n, empty)
  if n > 0 then
    if redis.call('HINCRBY', P .. 'counts', queue .. '|laned', -n) <= 0 then redis.call('HDEL', P .. 'counts', queue .. '|laned') end
    local waiting = P .. 'limit-waiting'
    if redis.call('HINCRBY', waiting, lane, -n) <= 0 then redis.call('HDEL', waiting, lane) end
  end
  if empty then
    redis.call('ZREM', P .. 'lanes:' .. queue, lane)
    ring_check(queue)
  end
end

-- Takes a waiting job with limits out of its lane (LREM walks the lane, as LPOS walks a queue).
local function lane_remove(id, queue, lk)
  local lane = lane_of(lk)
  local lkey = P .. 'lane:' .. queue .. '|' .. lane
  local removed = redis.call('LREM', lkey, 1, id)
  lane_left(queue, lane, removed, redis.call('EXISTS', lkey) == 0)
end

-- The free-slots step: a job under limits (`lk`) no longer holds its lease, so each of its
-- pairs counts one running job less; a pair that a claim refused since its last free slot
-- (`limit-blocked`: pair -> the queues refused, NUL-joined) wakes the workers of those queues.
-- Every transition that ends a lease takes it (clear_lease, complete_range), in its own call:
-- `free_later` notes a job, `flush_freed` writes what was noted (once per pair for a batch).
-- (The tables are made by the first job with limits: most calls have none.)
local freed, freed_order = nil, nil
local function free_later(lk)
  if not freed then freed, freed_order = {}, {} end
  for pair in string.gmatch(lk, '[^%z]+') do
    if not freed[pair] then freed[pair] = 0; freed_order[#freed_order + 1] = pair end
    freed[pair] = freed[pair] + 1
  end
end

local function flush_freed()
  if not freed then return end
  local running, refused = P .. 'limit-running', P .. 'limit-blocked'
  for _, pair in ipairs(freed_order) do
    if redis.call('HINCRBY', running, pair, -freed[pair]) <= 0 then redis.call('HDEL', running, pair) end
    local blocked = redis.call('HGET', refused, pair)
    if blocked then
      redis.call('HDEL', refused, pair)
      for queue in string.gmatch(blocked, '[^%z]+') do redis.call('PUBLISH', P .. 'wake', queue) end
    end
  end
  freed, freed_order = nil, nil
end

local function free_slots(lk)
  free_later(lk)
  flush_freed()
end
