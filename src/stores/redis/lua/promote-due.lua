-- promoteDue: moves up to `limit` due SCHEDULED jobs to the tail of their queues, and tells
-- whether expired leases or expired finished jobs wait, so idle passes can skip those calls.
-- KEYS[1] scheduled zset, KEYS[2] leases zset, KEYS[3] expiry zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit
-- Returns {'OK', promoted, leasesDue (0|1), expiryDue (0|1)}.
-- @include job
local promoted = promote_due(tonumber(ARGV[3]))
local leases = #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', NOW, 'LIMIT', 0, 1)
local expiry = #redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', NOW, 'LIMIT', 0, 1)
return {'OK', promoted, leases, expiry}
