-- get: a job's stored fields (and its timeline), whether it has a hash or waits packed in its
-- queue list (see includes/queued.lua).
-- KEYS[1] any key of the namespace (routing only)
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] '1' to add the timeline
-- Returns {'OK', flat fields (empty: no such job), the timeline's first 999 entries: with the first
-- event, rebuilt from the hash, a job's first 1,000 events, as the SQLite store answers (a job
-- retried without end keeps a long timeline, and one answer stays bounded)}.
-- @include job
local id = ARGV[3]
local timeline = ARGV[4] == '1' and redis.call('LRANGE', P .. 'events:' .. id, 0, 998) or {}
return {'OK', read_job(id), timeline}
