-- getJobs: the stored fields of several jobs, in the order asked, whether each has a hash or
-- waits packed in its queue list (see includes/queued.lua).
-- KEYS[1] any key of the namespace (routing only)
-- ARGV[1] prefix, ARGV[2] now, ARGV[3..] job ids (at most JOB_BOUNDS.maxDependencies)
-- Returns {'OK', per id: flat fields (empty: no such job)}.
-- @include job
local out = {'OK'}
for i = 3, #ARGV do out[#out + 1] = read_job(ARGV[i]) end
return out
