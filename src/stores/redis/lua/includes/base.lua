-- Shared by every script: the namespace prefix (ARGV[1]) and the clock (ARGV[2]: the test clock
-- in ms, or '' for the server's TIME). Per-job keys are built from the prefix; they share the
-- namespace hash tag, so they live in the same Cluster slot as the declared KEYS.
local P = ARGV[1]
local NOW
do
  if ARGV[2] ~= nil and ARGV[2] ~= '' then
    NOW = tonumber(ARGV[2])
  else
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
end

-- NOW as text, made once: Lua turns a number into text with sprintf (about 1 µs a time on a
-- slow core), and hot paths would otherwise do it per job and per argument.
local NOW_S = string.format('%d', NOW)

local function job_key(id) return P .. 'job:' .. id end
