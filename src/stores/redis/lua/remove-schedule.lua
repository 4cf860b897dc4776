-- removeSchedule: deletes a schedule and its index entries. Its jobs stay, and so does their
-- index (`schedule-jobs:<id>`, emptied by retention): a schedule added again under the id lists them.
-- KEYS[1] the schedule's hash, KEYS[2] every schedule id (zset), KEYS[3] due schedules (zset)
-- ARGV[1] prefix, ARGV[2] now (unused), ARGV[3] schedule id
-- Returns {'OK'} | {'NOT_FOUND'}.
if redis.call('DEL', KEYS[1]) == 0 then return {'NOT_FOUND'} end
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
return {'OK'}
