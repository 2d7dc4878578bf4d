-- Smallest key of a row that is not final yet (e.g. a background job still running);
-- the next run re-reads from there. {where} holds the pending predicate only (never the
-- row filter, which excludes exactly the pending rows).
SELECT pg_catalog.min({key})::int8 AS min_pending_key
FROM {table}{where}
