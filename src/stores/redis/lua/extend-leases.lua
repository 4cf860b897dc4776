-- extendLeases: pushes back the expiry of every lease still held with the given token (the
-- `leases` zset is the only record of a lease's expiry).
-- KEYS[1] leases zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] leaseMs, ARGV[4..] pairs of job id and token
-- Returns {'OK', lostId...}.
-- @include job
local expires = NOW + tonumber(ARGV[3])
local out = {'OK'}
for i = 4, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local job = load(id, 'status', 'token')
  if job.status == 'PROCESSING' and job.token == token then
    redis.call('ZADD', KEYS[1], expires, id)
  else
    out[#out + 1] = id
  end
end
return out
