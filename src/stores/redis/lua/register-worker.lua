-- registerWorker: records a worker incarnation, and at once requeues (counting a stall) the jobs
-- that earlier incarnations of the same name still hold (and drops their standing claims). They are found among the running jobs
-- (the `leases` zset): registration is rare, so it pays this scan, bounded by the number of jobs
-- running in the namespace, and claims and settlements keep no per-worker set.
-- KEYS[1] workers hash, KEYS[2] worker heartbeats zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] incarnation, ARGV[5] worker JSON,
-- ARGV[6] stall limit (a job past it fails with STALLED instead of going back to its queue)
-- Returns {'OK', requeued}.
-- @include dependencies
-- @include stand
local name, inc = ARGV[3], ARGV[4]
redis.call('HSET', KEYS[1], name, ARGV[5])
redis.call('ZADD', KEYS[2], NOW, name)
local requeued = 0
-- Standing claims of earlier incarnations of the name: no job may be handed to them any more.
local stands = redis.call('HGETALL', STAND)
for i = 1, #stands, 2 do
  local _, _, _, _, _, holder = stand_fields(stands[i + 1])
  if holder == name and stands[i] ~= inc then drop_stand(stands[i], stands[i + 1]) end
end
-- Up to +inf, excluded: the anchor member (see LEASES_ANCHOR) is no job.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', '(+inf')) do
  local job = load(id, 'status', 'worker', 'inc')
  if job.status == 'PROCESSING' and job.worker == name and job.inc ~= inc
    and stall(id, tonumber(ARGV[6]), 'its worker restarted') == 'requeued' then
    requeued = requeued + 1
  end
end
return {'OK', requeued}
