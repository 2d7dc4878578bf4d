-- Template filled by session.rs (COPY takes no bind parameters): {columns} are quoted
-- identifiers, {table} a quoted schema.table, {where} empty or " WHERE …" with integer
-- and timestamp literals formatted by the extractor itself. Never SELECT *.
COPY (SELECT {columns} FROM {table}{where}) TO STDOUT (FORMAT binary)
