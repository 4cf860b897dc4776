-- getLimit: how one (name, key) stands now (includes/limit-settings.lua).
-- KEYS[1] limits hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] key
-- Returns {'OK', now, row}.
-- @include limit-settings
return {'OK', NOW_S, usage_row(ARGV[3], ARGV[4])}
