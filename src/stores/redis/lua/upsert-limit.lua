-- upsertLimit: stores a limit's settings, a name's default (key '') or one key's override
-- (decision 0023), with their source and the store time; a declaration leaves an operator's
-- setting of the same (name, key) as it is. A change of the settings wakes the workers of the
-- queues with lanes (includes/limit-settings.lua); an override is named in `limit-index`.
-- KEYS[1] limits hash
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] name, ARGV[4] key ('' = the name's default),
-- ARGV[5] source ('declared' | 'operator'), ARGV[6] the settings as JSON members
-- ('"c":2', '"r":[10,1000,1]', or both joined by a comma)
-- Returns {'OK', stored JSON}.
-- @include limit-settings
local pair = ARGV[3] .. '|' .. ARGV[4]
local old = redis.call('HGET', KEYS[1], pair)
if old and ARGV[5] == 'declared' and string.find(old, '"s":"operator"', 1, true) then return {'OK', old} end
local value = '{"s":"' .. ARGV[5] .. '","t":' .. NOW_S .. ',' .. ARGV[6] .. '}'
redis.call('HSET', KEYS[1], pair, value)
if ARGV[4] ~= '' then index_pair(pair) end
if not old or string.match(old, '^{"s":"%a+","t":%d+,(.*)}$') ~= ARGV[6] then wake_laned() end
return {'OK', value}
