-- Rows a COPY with the same {where} returns: used to check nothing was lost in transit.
SELECT pg_catalog.count(*) AS row_count
FROM {table}{where}
