-- list: one page of jobs newest first (ids sort by creation time). One index is chosen
-- (schedule, project, user, status, or the merge of every status index) and the other filters are
-- checked per job; at most `budget` index entries are read, so a page may come back short
-- with a cursor to continue. PROCESSING jobs are read from `leases` (bounded by the running
-- jobs) and sorted here: claims and settlements keep no status index for them.
-- KEYS[1] any key of the namespace (routing only)
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit, ARGV[4] cursor ('' = newest), ARGV[5] budget,
-- ARGV[6] status, ARGV[7] queue, ARGV[8] task, ARGV[9] project, ARGV[10] user, ARGV[11] schedule
-- ('' = any)
-- Returns {'OK', nextCursor or '', {id, hash}...}.
-- @include job
local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[5])
local status, queue, task, project, user, schedule = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local function status_source(s) return P .. (s == 'PROCESSING' and 'leases' or 'status:' .. s) end
local sources = {}
-- (A schedule's index holds only the jobs it made that retention keeps: usually the smallest.)
if schedule ~= '' then sources = {P .. 'schedule-jobs:' .. schedule}
elseif project ~= '' then sources = {P .. 'project:' .. project}
elseif user ~= '' then sources = {P .. 'user:' .. user}
elseif status ~= '' then sources = {status_source(status)}
else
  for _, s in ipairs({'PENDING', 'DEFERRED', 'SCHEDULED', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELED'}) do
    sources[#sources + 1] = status_source(s)
  end
end
-- Up to `chunk` ids of one source below the cursor, newest first. `leases` is read and sorted
-- once per call, however many passes the scan takes.
local sorted_leases = nil
local function page(key, after, chunk)
  if key == P .. 'status:QUEUED' then return qindex_page(after, chunk) end
  if key ~= P .. 'leases' then
    return redis.call('ZREVRANGEBYLEX', key, after == '' and '+' or '(' .. after, '-', 'LIMIT', 0, chunk)
  end
  if not sorted_leases then
    -- Up to +inf, excluded: the anchor member (see LEASES_ANCHOR) is no job.
    sorted_leases = redis.call('ZRANGEBYSCORE', key, '-inf', '(+inf')
    table.sort(sorted_leases, gt)
  end
  local ids = {}
  for _, id in ipairs(sorted_leases) do
    if after == '' or lt(id, after) then
      ids[#ids + 1] = id
      if #ids >= chunk then break end
    end
  end
  return ids
end
local function matches(job)
  return job.status and (status == '' or job.status == status) and (queue == '' or job.queue == queue)
    and (task == '' or job.task == task) and (project == '' or job.project == project)
    and (user == '' or job.user == user) and (schedule == '' or job.sid == schedule)
end
local found, cursor, scanned = {}, ARGV[4], 0
while #found <= limit and scanned < budget do
  local chunk = math.min(budget - scanned, 100)
  local merged = {}
  for _, key in ipairs(sources) do
    for _, id in ipairs(page(key, cursor, chunk)) do merged[#merged + 1] = id end
  end
  if #merged == 0 then cursor = ''; break end
  table.sort(merged, gt)
  for i = 1, math.min(chunk, #merged) do
    local id = merged[i]
    -- An id read from two sources (a lease entry not yet cleaned up) is looked at once.
    if id ~= cursor then
      cursor = id
      scanned = scanned + 1
      local job = load(id, 'status', 'queue', 'task', 'project', 'user', 'sid')
      if matches(job) then
        found[#found + 1] = id
        if #found > limit then break end
      end
    end
  end
end
local out = {'OK', ''}
for i = 1, math.min(limit, #found) do out[#out + 1] = {found[i], read_job(found[i])} end
if #found > limit then out[2] = found[limit] elseif scanned >= budget then out[2] = cursor end
return out
