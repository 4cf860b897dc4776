-- prune: deletes up to `limit` finished jobs past their retention, forgets silent workers, and
-- drops standing claims whose worker is gone (includes/stand.lua). A job that an unfinished job
-- needs is looked at again a minute later; a flow's members wait for their root (they leave
-- `expiry`), and a root goes with its whole flow once every member is final (includes/flows.lua).
-- KEYS[1] expiry zset, KEYS[2] workers hash, KEYS[3] worker heartbeats zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit, ARGV[4] forget workers silent for this many ms
-- Returns {'OK', deleted}.
-- @include flows
-- @include stand
local limit = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'WITHSCORES', 'LIMIT', 0, limit)
local deleted, budget = 0, limit
for i = 1, #due, 2 do
  if budget <= 0 then break end
  local member, at = due[i], tonumber(due[i + 1])
  if string.sub(member, 1, 1) == '#' then
    -- A group of completions (complete.lua): each id is deleted only if it is still the
    -- completion that entry stands for (not retried, re-run or removed since).
    local list = P .. 'expiry:' .. member
    local ids = redis.call('LPOP', list, budget) or {}
    budget = budget - #ids
    for _, id in ipairs(ids) do
      local job = load(id, 'status', 'completed', 'rttl', 'flow', 'dn')
      if job.status == 'COMPLETED' and tonumber(job.completed) + tonumber(job.rttl) * 1000 == at then
        local hold = retention_hold(id, job)
        if hold == 'needed' then
          redis.call('ZADD', KEYS[1], NOW + KEEP_NEEDED_MS, id)
        elseif not hold then
          deleted = deleted + delete_with_flow(id)
        end
      end
    end
    if redis.call('EXISTS', list) == 0 then redis.call('ZREM', KEYS[1], member) end
  else
    budget = budget - 1
    local hold = retention_hold(member)
    if hold == 'needed' then
      redis.call('ZADD', KEYS[1], NOW + KEEP_NEEDED_MS, member)
    else
      local gone = not hold and delete_with_flow(member) or 0
      if gone > 0 then deleted = deleted + gone else redis.call('ZREM', KEYS[1], member) end
    end
  end
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', NOW - tonumber(ARGV[4]), 'LIMIT', 0, limit)
for _, name in ipairs(gone) do
  redis.call('HDEL', KEYS[2], name)
  redis.call('ZREM', KEYS[3], name)
end
-- Standing claims that lapsed (a live worker renews its own before), and used ones whose worker
-- never came back for the job (a live worker's next claim removes the mark at once). One entry
-- per worker incarnation: bounded by the workers.
local stands = redis.call('HGETALL', STAND)
for i = 1, #stands, 2 do
  local used, _, f3, f4 = stand_fields(stands[i + 1])
  if (used == '' and (tonumber(f3) or 0) < NOW) or (used == '!' and (tonumber(f4) or 0) < NOW - 60000) then
    drop_stand(stands[i], stands[i + 1])
  end
end
return {'OK', deleted}
