-- complete: settles a batch of running jobs as COMPLETED, each only under its current lease
-- token; a stale token changes nothing for that job and does not affect the others.
-- KEYS[1..n] the job hashes, in the order of the triples below
-- ARGV[1] prefix, ARGV[2] now, then per job: job id, token, result JSON
-- Returns {'OK', per job: 'OK' | 'LEASE_LOST'}.
-- @include job
local out = {'OK'}
for i = 3, #ARGV, 3 do
  local id, token = ARGV[i], ARGV[i + 1]
  local job = load(id, 'status', 'token', 'queue', 'task', 'attempt', 'worker', 'started', 'rttl')
  if job.status ~= 'PROCESSING' or job.token ~= token then
    out[#out + 1] = 'LEASE_LOST'
  else
    finish(id, job, 'COMPLETED', job.rttl, {'result', ARGV[i + 2]})
    emit(id, job, 'job:completed', 'COMPLETED', '"durationMs":' .. (NOW - tonumber(job.started)))
    out[#out + 1] = 'OK'
  end
end
return out
