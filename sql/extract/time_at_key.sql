-- Event time of the first row at or above a key, as µs since the epoch (a naive
-- `timestamp` is taken as UTC, which is what Tableau stores). ORDER BY key LIMIT 1 is one
-- primary-key index probe, so backfills can binary-search the key where a day starts
-- without an index on the time column. {where} holds the row filter and
-- `key >= <integer> AND time IS NOT NULL`.
SELECT pg_catalog.floor(EXTRACT(EPOCH FROM {time}) * 1000000)::int8 AS time_us
FROM {table}{where}
ORDER BY {key}
LIMIT 1
