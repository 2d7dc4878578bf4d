-- Columns of one table or view, in table order, as the extractor's type table sees them.
-- $1 = schema, $2 = table. A visible table with no columns yields one row with NULL
-- column_name, so "absent" (no rows) and "empty" stay distinguishable.
-- Domains are reported as their base type: binary COPY sends the base type's format.
SELECT a.attname::text AS column_name,
       COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) AS type_oid,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_name,
       pg_catalog.has_table_privilege(c.oid, 'SELECT') AS can_select
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE n.nspname = $1
  AND c.relname = $2
  -- tables, views, materialized views, partitioned and foreign tables
  AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
ORDER BY a.attnum
