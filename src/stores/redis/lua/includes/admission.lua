-- Admission of jobs under limits and the claim of a queue's lanes (decision 0023): a lane's head
-- starts only when each of its pairs admits it (a free slot under its concurrency, a token of
-- its rate), and a claim serves a queue's lanes (its main list among them) round-robin.
-- @include job
-- Settings: `limits` maps 'name|key' (key '' for the name's default) to JSON {s: source, t:
-- updated ms, c: concurrency, r: [limit, periodMs, burst]} (c and r only when set). Buckets:
-- `limit-tokens` maps a pair to '<tokens>|<ms>', its tokens when a claim last took one (refilled
-- since at limit per periodMs, at most max(burst, 1)); no entry: a full bucket.

-- A claim looks at no more lanes of one queue than this: a queue with thousands of keys at
-- their limit still costs a bounded claim (the lanes looked at go to the back of the ring).
local LANES_PER_CLAIM = 200

-- The tokens of a bucket ('<tokens>|<ms>', or nil when full) at NOW (rate = {limit, periodMs, burst}).
local function bucket_tokens(rate, stored)
  local size = math.max(rate[3], 1)
  local tokens, at = string.match(stored or '', '^([^|]+)|(.+)$')
  if not tokens then return size end
  return math.min(size, tonumber(tokens) + math.max(NOW - tonumber(at), 0) * rate[1] / rate[2])
end

-- Claims up to `want` jobs of a queue that has lanes, calling `take(entry)` for each job leased:
-- its lanes (the main list '' among them) in ring order, one job per lane per turn, a lane whose
-- head its limits refuse skipped for the rest of the call. Returns how many it took, and the ms
-- until a rate it refused has a token again (nil if none did). When it took any, the lanes it
-- looked at go to the back of the ring, in the order it looked at them. Slots and tokens taken
-- are written once per pair; a pair refused for its concurrency is noted in `limit-blocked`
-- (its next free slot wakes the queue, see free_slots). Its helpers are made only here: a claim
-- of queues without lanes never makes them.
local function serve_lanes(queue, want, take)
  local limits, running_key, tokens_key = P .. 'limits', P .. 'limit-running', P .. 'limit-tokens'
  -- Per pair, read once: its effective setting (the key's override, else the name's default;
  -- false: none, it admits everything) and usage {running, taken, tokens (nil: not read)}.
  local settings, usages, taken_order = {}, {}, {}
  local refused, refused_order, wait_ms = {}, {}, nil
  local function setting_of(pair)
    local setting = settings[pair]
    if setting == nil then
      local v = redis.call('HMGET', limits, pair, string.sub(pair, 1, string.find(pair, '|', 1, true)))
      local text = v[1] or v[2]
      setting = text and cjson.decode(text) or false
      settings[pair] = setting
    end
    return setting
  end
  local function usage_of(pair, setting)
    local usage = usages[pair]
    if not usage then
      usage = {running = tonumber(redis.call('HGET', running_key, pair)) or 0, taken = 0}
      if setting and setting.r then usage.tokens = bucket_tokens(setting.r, redis.call('HGET', tokens_key, pair)) end
      usages[pair] = usage
    end
    return usage
  end
  -- Whether every pair of `lk` admits a job now; if not, notes the refusal.
  local function admit(lk)
    for pair in string.gmatch(lk, '[^%z]+') do
      local setting = setting_of(pair)
      if setting then
        local usage = usage_of(pair, setting)
        if setting.c and usage.running >= setting.c then
          if not refused[pair] then refused[pair] = true; refused_order[#refused_order + 1] = pair end
          return false
        end
        if setting.r and usage.tokens < 1 then
          local ms = math.ceil((1 - usage.tokens) * setting.r[2] / setting.r[1])
          wait_ms = math.min(wait_ms or ms, ms)
          return false
        end
      end
    end
    return true
  end
  -- Takes a slot of each pair of a job being leased, and a token of each rated one.
  local function take_slots(lk)
    for pair in string.gmatch(lk, '[^%z]+') do
      local setting = setting_of(pair)
      local usage = usage_of(pair, setting)
      if usage.taken == 0 then taken_order[#taken_order + 1] = pair end
      usage.running, usage.taken = usage.running + 1, usage.taken + 1
      if usage.tokens then usage.tokens = usage.tokens - 1 end
    end
  end

  local ring = P .. 'lanes:' .. queue
  local open = redis.call('ZRANGE', ring, 0, LANES_PER_CLAIM - 1)
  -- The main list is a lane too: out of the first lanes, it comes first.
  local has_main = false
  for _, lane in ipairs(open) do if lane == '' then has_main = true end end
  if not has_main then table.insert(open, 1, '') end
  -- (A ring left with no lane: gone, and the queue claimed as one without lanes from now on.)
  if #open == 1 then ring_check(queue) end
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
        elseif admit(lk) then
          redis.call('LPOP', lkey)
          take_slots(lk)
          take(id)
          taken, from_lane[lane] = taken + 1, from_lane[lane] + 1
          again[#again + 1] = lane
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
  if taken > 0 then
    local at = tonumber(redis.call('ZRANGE', ring, -1, -1, 'WITHSCORES')[2]) or 0
    local served = {}
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
  -- The slots and tokens taken, and the refusals, once per pair.
  for _, pair in ipairs(taken_order) do
    local usage = usages[pair]
    if redis.call('HINCRBY', running_key, pair, usage.taken) == usage.taken then index_pair(pair) end
    if usage.tokens then redis.call('HSET', tokens_key, pair, tostring(usage.tokens) .. '|' .. NOW_S) end
  end
  local blocked = P .. 'limit-blocked'
  for _, pair in ipairs(refused_order) do
    local queues = redis.call('HGET', blocked, pair)
    if not queues then
      redis.call('HSET', blocked, pair, queue)
    elseif not string.find('\0' .. queues .. '\0', '\0' .. queue .. '\0', 1, true) then
      redis.call('HSET', blocked, pair, queues .. '\0' .. queue)
    end
  end
  return taken, wait_ms
end
