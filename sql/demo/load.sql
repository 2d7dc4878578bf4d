-- Fills the demo repository. Run after tableau_schema.sql, tableau_data.sql and
-- tableau_activity.sql (each file is one batch_execute). 100k requests over the 7 days
-- from 2026-11-01, a window containing the US DST fall-back (2026-11-01).
SELECT usagelake_demo_generate(100000, DATE '2026-11-01', 7);
