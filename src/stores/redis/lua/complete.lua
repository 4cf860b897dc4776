-- complete: settles a batch of running jobs as COMPLETED (includes/completions.lua). The index,
-- counter and expiry writes of the batch go out once per call, not once per job, and a job
-- completed without progress reports keeps no timeline list.
-- KEYS[1] leases zset (the job hashes are named from the ids, under the same hash tag, so the
-- call does not send one key per job)
-- ARGV[1] prefix, ARGV[2] now, then per job: job id, token, result JSON
-- Returns {'OK', per job: 'OK' | 'LEASE_LOST'}.
-- @include job
-- @include completions
local out = {'OK'}
complete_range(3, #ARGV, out)
finish_completions()
flush_counts()
return out
