-- removeLimit: deletes a limit's setting (an override: its key falls back to the name's
-- default); when there was one, the workers of the queues with lanes look again.
-- KEYS[1] limits hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] key ('' = the name's default)
-- Returns {'OK'}.
-- @include limit-settings
if redis.call('HDEL', KEYS[1], ARGV[3] .. '|' .. ARGV[4]) == 1 then wake_laned() end
return {'OK'}
