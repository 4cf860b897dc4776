-- Schedules (see docs/redis.md): a hash per schedule, `schedule:<id>`, with its definition text
-- ('def', JSON of id, timing, job, catchUp, overlap), timing text ('timing'), 'paused' ('0' or
-- '1'), the next fire time ('next', absent while paused), the last fire time ('last') and job
-- ('lastjob'), 'anchor', 'created' and 'updated' (ms). `schedules` (score 0) lists every id;
-- `schedules-due` holds the ids of those not paused, scored by their next fire time.
-- @include base
local function schedule_key(id) return P .. 'schedule:' .. id end
