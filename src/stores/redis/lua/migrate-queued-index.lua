-- migrateQueuedIndex: moves the waiting jobs of the QUEUED index that earlier builds kept (the
-- sorted set `status:QUEUED`) into the bucketed QUEUED index (includes/queued.lua), a bounded step
-- per call; the store repeats it at connect until the old index is gone.
-- KEYS[1] the old index
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] most ids per call
-- Returns {'OK', ids left in the old index}.
-- @include job
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
for _, id in ipairs(ids) do
  if redis.call('HGET', job_key(id), 'status') == 'QUEUED' then qindex_add(id, '') end
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return {'OK', redis.call('ZCARD', KEYS[1])}
