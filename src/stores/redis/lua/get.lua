-- get: a job's stored fields (and its timeline), whether it has a hash or waits packed in its
-- queue list (see includes/queued.lua).
-- KEYS[1] any key of the namespace (routing only)
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] job id, ARGV[4] how many timeline entries to add at most
-- (0: none; the store asks for one fewer than the events it answers, the first being rebuilt)
-- Returns {'OK', flat fields (empty: no such job), the timeline's first entries}.
-- @include job
local id = ARGV[3]
local limit = tonumber(ARGV[4])
local timeline = limit > 0 and redis.call('LRANGE', P .. 'events:' .. id, 0, limit - 1) or {}
return {'OK', read_job(id), timeline}
