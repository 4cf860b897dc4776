-- enqueue: stores a batch of new jobs atomically (all or none), as QUEUED, SCHEDULED or PENDING
-- (includes/enqueue.lua, shared with the schedule scripts that make jobs).
-- KEYS[1] idempotency hash (key -> job id)
-- ARGV[1] prefix, ARGV[2] now ('' = server TIME), ARGV[3] job count, then 8 fields per job:
--   id, task, queue, payload, opts, resultTtl, failureTtl, extra
-- where extra is '' or a JSON object of what most jobs lack: m (meta JSON text), p (project),
-- u (user), k (idempotency key), h (1: hold as PENDING), d (delay ms), r (run at, ms), s and f
-- (the schedule that made the job, and its fire time).
-- Returns 'OK|<now>|<job>|<job>...' when every job is new, each <job> its status letter
-- (Q, S, P) and its run time if it has one; when an idempotency key names an existing job,
-- {'OK', now, per job: its code | {0, existingId, existingHash}}; or {'DUPLICATE', id}.
-- @include enqueue
local out, any_existing = enqueue_jobs(KEYS[1], 3, tonumber(ARGV[3]))
if any_existing or out[1] ~= 'OK' then return out end
return 'OK|' .. NOW_S .. '|' .. table.concat(out, '|', 3)
