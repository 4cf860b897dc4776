-- Admission of jobs under limits and the claim of a queue's lanes (decision 0023): a lane's head
-- starts only when each of its pairs admits it (a free slot under its concurrency, a token of
-- its rate), and a claim serves a queue's lanes (its main list among them) round-robin.
-- @include job
-- Settings: `limits` maps 'name|key' (key '' for the name's default) to JSON {s: source, t:
-- updated ms, c: concurrency, r: [limit, periodMs, burst]} (c and r only when set). Buckets:
-- `limit-tokens` maps a pair to '<tokens>|<ms>', its tokens when a claim last took one (refilled
-- since at limit per periodMs, at most max(burst, 1)); no entry: a full bucket.
local LIMITS, LIMIT_TOKENS = P .. 'limits', P .. 'limit-tokens'
-- A claim looks at no more lanes of one queue than this: a queue with thousands of keys at
-- their limit still costs a bounded claim (the lanes looked at go to the back of the ring).
local LANES_PER_CLAIM = 200

-- Per pair, read once per call: its effective setting (the key's override, else the name's
-- default; false: none, it admits everything) and usage {running, tokens (nil: not read)}.
local limit_settings, limit_usage = {}, {}
local function setting_of(pair)
  local setting = limit_settings[pair]
  if setting == nil then
    local v = redis.call('HMGET', LIMITS, pair, string.sub(pair, 1, string.find(pair, '|', 1, true)))
    local text = v[1] or v[2]
    setting = text and cjson.decode(text) or false
    limit_settings[pair] = setting
  end
  return setting
end

local function usage_of(pair)
  local usage = limit_usage[pair]
  if not usage then
    usage = {running = tonumber(redis.call('HGET', LIMIT_RUNNING, pair)) or 0, taken = 0}
    limit_usage[pair] = usage
  end
  return usage
end

-- The tokens of a pair's bucket now (rate = {limit, periodMs, burst}).
local function tokens_of(pair, rate, usage)
  if usage.tokens == nil then
    local size = math.max(rate[3], 1)
    local stored = redis.call('HGET', LIMIT_TOKENS, pair)
    local tokens, at = string.match(stored or '', '^([^|]+)|(.+)$')
    usage.tokens = tokens and math.min(size, tonumber(tokens) + math.max(NOW - tonumber(at), 0) * rate[1] / rate[2]) or size
  end
  return usage.tokens
end

-- Whether every pair of `lk` admits a job now: true, or false, the pair that refused and, for a
-- rate, the ms until its next token (nil for a concurrency).
local function admit(lk)
  for pair in string.gmatch(lk, '[^%z]+') do
    local setting = setting_of(pair)
    if setting then
      local usage = usage_of(pair)
      if setting.c and usage.running >= setting.c then return false, pair, nil end
      local rate = setting.r
      if rate then
        local tokens = tokens_of(pair, rate, usage)
        if tokens < 1 then return false, pair, math.ceil((1 - tokens) * rate[2] / rate[1]) end
      end
    end
  end
  return true
end

-- Takes a slot of each pair of a job being leased, and a token of each rated one (written by
-- flush_taken, once per pair).
local taken_order = {}
local function take_slots(lk)
  for pair in string.gmatch(lk, '[^%z]+') do
    local usage = usage_of(pair)
    if usage.taken == 0 then taken_order[#taken_order + 1] = pair end
    usage.running, usage.taken = usage.running + 1, usage.taken + 1
    local setting = setting_of(pair)
    if setting and setting.r then usage.tokens = tokens_of(pair, setting.r, usage) - 1 end
  end
end

-- Refusals of the call: the pairs refused for a concurrency, with their queues (a free slot of
-- one wakes those queues, see free_slots), and the soonest next token of a refused rate.
local refused_pairs, refused_order, token_wait_ms = {}, {}, nil
local function refuse(pair, wait_ms, queue)
  if wait_ms then
    token_wait_ms = math.min(token_wait_ms or wait_ms, wait_ms)
    return
  end
  local queues = refused_pairs[pair]
  if not queues then queues = {}; refused_pairs[pair] = queues; refused_order[#refused_order + 1] = pair end
  queues[queue] = true
end

-- Writes the slots and tokens taken and the refusals of the call.
local function flush_taken()
  for _, pair in ipairs(taken_order) do
    local usage = limit_usage[pair]
    if redis.call('HINCRBY', LIMIT_RUNNING, pair, usage.taken) == usage.taken then index_pair(pair) end
    if usage.tokens then redis.call('HSET', LIMIT_TOKENS, pair, tostring(usage.tokens) .. '|' .. NOW_S) end
    usage.taken = 0
  end
  taken_order = {}
  for _, pair in ipairs(refused_order) do
    local known = redis.call('HGET', LIMIT_BLOCKED, pair) or ''
    local value = known
    for queue in pairs(refused_pairs[pair]) do
      if not string.find('\0' .. known .. '\0', '\0' .. queue .. '\0', 1, true) then value = value .. (value == '' and '' or '\0') .. queue end
    end
    if value ~= known then redis.call('HSET', LIMIT_BLOCKED, pair, value) end
  end
  refused_pairs, refused_order = {}, {}
end

-- Claims up to `want` jobs of a queue that has lanes, calling `take(entry)` for each job leased:
-- its lanes (the main list '' among them) in ring order, one job per lane per turn, a lane whose
-- head its limits refuse skipped for the rest of the call. Returns how many it took. When it
-- took any, the lanes it looked at go to the back of the ring, in the order it looked at them.
local function serve_lanes(queue, want, take)
  local ring = P .. 'lanes:' .. queue
  local open = redis.call('ZRANGE', ring, 0, LANES_PER_CLAIM - 1)
  -- The main list is a lane too: out of the first lanes, it comes first.
  local has_main = false
  for _, lane in ipairs(open) do if lane == '' then has_main = true end end
  if not has_main then table.insert(open, 1, '') end
  local qkey = P .. 'queue:' .. queue
  local taken, popped, gaps = 0, 0, 0
  local looked, from_lane, emptied = {}, {}, {}
  while taken < want and #open > 0 do
    local again = {}
    for _, lane in ipairs(open) do
      if taken >= want then break end
      if from_lane[lane] == nil then looked[#looked + 1] = lane; from_lane[lane] = 0 end
      if lane == '' then
        local entry = redis.call('LPOP', qkey)
        while entry == '' do
          popped, gaps = popped + 1, gaps + 1
          entry = redis.call('LPOP', qkey)
        end
        if entry then
          popped, taken = popped + 1, taken + 1
          take(entry)
          again[#again + 1] = lane
        end
      else
        local lkey = P .. 'lane:' .. queue .. '|' .. lane
        local id = redis.call('LINDEX', lkey, 0)
        local lk = id and redis.call('HGET', job_key(id), 'lk')
        if not id then
          emptied[#emptied + 1] = lane
        elseif not lk then
          -- (An entry whose job is gone: dropped.)
          redis.call('LPOP', lkey)
          again[#again + 1] = lane
        else
          local ok, pair, wait_ms = admit(lk)
          if ok then
            redis.call('LPOP', lkey)
            take_slots(lk)
            take(id)
            taken, from_lane[lane] = taken + 1, from_lane[lane] + 1
            again[#again + 1] = lane
          else
            refuse(pair, wait_ms, queue)
          end
        end
      end
    end
    open = again
  end
  if popped > 0 then
    move_head(queue, popped)
    if gaps > 0 then count_later(queue .. '|gaps', -gaps) end
    trim_gaps(queue)
  end
  local served = {}
  if taken > 0 then
    local last = redis.call('ZRANGE', ring, -1, -1, 'WITHSCORES')
    local at = tonumber(last[2]) or 0
    for _, lane in ipairs(looked) do
      at = at + 1
      served[#served + 1] = at
      served[#served + 1] = lane
    end
    redis.call('ZADD', ring, unpack(served))
  end
  for _, lane in ipairs(looked) do
    local n = from_lane[lane]
    if lane ~= '' and n > 0 then lane_left(queue, lane, n, redis.call('EXISTS', P .. 'lane:' .. queue .. '|' .. lane) == 0) end
  end
  for _, lane in ipairs(emptied) do lane_left(queue, lane, 0, true) end
  flush_taken()
  return taken
end
