-- promoteDue: moves up to `limit` due SCHEDULED jobs to the tail of their queues.
-- KEYS[1] scheduled zset
-- ARGV[1] prefix, ARGV[2] now, ARGV[3] limit
-- Returns {'OK', promoted}.
-- @include job
return {'OK', promote_due(tonumber(ARGV[3]))}
