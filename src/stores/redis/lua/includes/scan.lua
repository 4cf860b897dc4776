-- A bounded walk over a status index (score 0, ordered by id = creation time), oldest first,
-- for purge and retry-all-failed. `visit(id)` returns true when it acted on the job; the walk
-- stops after `limit` actions or `budget` index entries read. Returns how many it acted on.
-- Removing the visited id from the index is fine: the walk goes on from the last id seen.
local function scan_index(key, budget, limit, visit)
  local acted, cursor = 0, '-'
  while acted < limit and budget > 0 do
    local ids = redis.call('ZRANGEBYLEX', key, cursor, '+', 'LIMIT', 0, math.min(budget, 200))
    if #ids == 0 then break end
    budget = budget - #ids
    for _, id in ipairs(ids) do
      cursor = '(' .. id
      if acted < limit and visit(id) then acted = acted + 1 end
    end
  end
  return acted
end
