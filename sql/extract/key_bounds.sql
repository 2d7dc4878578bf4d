-- Smallest and largest key of an event table (NULLs when empty), under the same
-- {where} (the spec's row_filter) that COPY applies. Cast: the key may be int4 or int8.
SELECT pg_catalog.min({key})::int8 AS min_key, pg_catalog.max({key})::int8 AS max_key
FROM {table}{where}
