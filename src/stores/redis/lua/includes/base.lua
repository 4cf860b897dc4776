-- Shared by every script: the namespace prefix (ARGV[1]) and the clock (ARGV[2]: the test clock
-- in ms, or '' for the server's TIME). Per-job keys are built from the prefix; they share the
-- namespace hash tag, so they live in the same Cluster slot as the declared KEYS.
local P = ARGV[1]
-- The time in ms as text, NOW_S, made once: Lua turns a number into text with sprintf (about
-- 1 µs a time on a slow core), and hot paths would otherwise do it per job and per argument.
local NOW_S
do
  if ARGV[2] ~= nil and ARGV[2] ~= '' then
    NOW_S = string.format('%d', tonumber(ARGV[2]))
  else
    -- TIME gives seconds and microseconds as text; the milliseconds are the first three digits
    -- of the microseconds padded to six, so the text needs no number formatting.
    local t = redis.call('TIME')
    NOW_S = t[1] .. string.sub('00000' .. t[2], -6, -4)
  end
end
-- The time as a number (only scripts that compute with it define it).
local NOW = tonumber(NOW_S)

local function job_key(id) return P .. 'job:' .. id end

-- Byte order of two strings (ids), as Redis orders sorted-set members (ZRANGEBYLEX). Lua's `<`
-- compares with the server's collation (strcoll): byte order in the C locale, but not under,
-- say, en_US.UTF-8, where 'a' < 'B'. The probe picks Lua's `<` when it is byte order, else a
-- comparison of the first differing byte (binary search for the common prefix).
local BYTE_ORDER = ('B' < 'a') and ('Z' < '_') and ('_' < 'a') and ('-' < '0') and ('.' < '/') and ('9' < 'A')
local function lt(a, b)
  if BYTE_ORDER then return a < b end
  local common, most = 0, math.min(#a, #b)
  local hi = most
  while common < hi do
    local mid = math.floor((common + hi + 1) / 2)
    if string.sub(a, 1, mid) == string.sub(b, 1, mid) then common = mid else hi = mid - 1 end
  end
  if common == most then return #a < #b end
  return string.byte(a, common + 1) < string.byte(b, common + 1)
end
local function gt(a, b) return lt(b, a) end

-- Variadic commands go out in slices: Lua's unpack takes at most a few thousand values (an
-- even slice keeps field/value pairs together).
local UNPACK_SLICE = 2000
local function call_sliced(cmd, key, args)
  for i = 1, #args, UNPACK_SLICE do redis.call(cmd, key, unpack(args, i, math.min(i + UNPACK_SLICE - 1, #args))) end
end
