-- listLimits: the (name, key) pairs with a running or waiting job or an override, in (name, key)
-- order, from `limit-index` after a cursor. An entry that no longer qualifies is dropped from the
-- index on the way; at most `budget` entries are read per call, so a page can come back short,
-- with a cursor.
-- KEYS[1] limit-index zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] after ('' = from the first; else '<name>\0<key>' of the
-- last pair listed), ARGV[4] limit, ARGV[5] budget
-- Returns {'OK', now, next ('' = no more), row...} (rows as usage_row makes them).
-- @include limit-settings
local limit = tonumber(ARGV[4])
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[3] == '' and '-' or '(' .. ARGV[3], '+', 'LIMIT', 0, tonumber(ARGV[5]))
local out, last = {'OK', NOW_S, ''}, nil
for _, member in ipairs(members) do
  local name, key = string.match(member, '^([^%z]*)%z(.*)$')
  local row = name and usage_row(name, key)
  if row and (row[7] == '1' or (tonumber(row[4]) or 0) > 0 or (tonumber(row[6]) or 0) > 0) then
    if #out - 3 == limit then
      out[3] = last
      return out
    end
    out[#out + 1] = row
    last = member
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
-- The budget ran out: go on after the last entry read.
if #members == tonumber(ARGV[5]) then out[3] = members[#members] end
return out
