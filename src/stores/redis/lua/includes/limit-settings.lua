-- Settings and usage of limits as the limit scripts read them (decision 0023; the keys are
-- described in includes/lanes.lua and includes/admission.lua).
-- @include lanes

-- How one (name, key) stands: {name, key, its effective setting's JSON ('' for none), running,
-- its bucket ('<tokens>|<ms>', '' for a full one), waiting in its lanes, '1' when the key has
-- an override of its own (else '0')}. The caller turns the bucket into tokens at its now.
local function usage_row(name, key)
  local pair = name .. '|' .. key
  local v = redis.call('HMGET', P .. 'limits', pair, name .. '|')
  return {name, key, v[1] or v[2] or '', redis.call('HGET', P .. 'limit-running', pair) or '0', redis.call('HGET', P .. 'limit-tokens', pair) or '',
    redis.call('HGET', P .. 'limit-waiting', pair) or '0', v[1] and '1' or '0'}
end

-- A setting changed: the workers of every queue with lanes look again (a limit raised, or one
-- removed, may admit waiting jobs). Bounded by the number of queues; settings change rarely.
local function wake_laned()
  for _, queue in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
    if redis.call('EXISTS', P .. 'lanes:' .. queue) == 1 then redis.call('PUBLISH', P .. 'wake', queue) end
  end
end
