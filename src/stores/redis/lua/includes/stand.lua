-- Standing claims (decision 0009; see claim.lua and enqueue-one.lua). `stand` maps a worker
-- incarnation to its standing claim, 'token|until ms|lease ms|queues|worker', or once a job was
-- handed under it to '!token|job id|handed at ms|queues|worker'; queues are those it stands on,
-- joined by NUL. `standq:<queue>` maps the incarnations standing on a queue to the queues they
-- serve before it ('\0' before each); `~<queue>` in `qnum` is set while that hash may hold one.
-- @include queued
local STAND = P .. 'stand'

-- The fields of a `stand` value: '!' when used (else ''), then the token and the next two fields,
-- the queues and the worker.
local function stand_fields(value)
  return string.match(value, '^(!?)([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
end

-- Removes a worker's standing claim and its queue entries (and a queue's flag once nobody stands there).
local function drop_stand(inc, value)
  redis.call('HDEL', STAND, inc)
  local _, _, _, _, queues = stand_fields(value)
  for queue in string.gmatch(queues or '', '[^%z]+') do
    local standq = P .. 'standq:' .. queue
    redis.call('HDEL', standq, inc)
    if redis.call('HLEN', standq) == 0 then redis.call('HDEL', QNUM, '~' .. queue) end
  end
end
