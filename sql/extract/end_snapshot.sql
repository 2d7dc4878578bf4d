-- The snapshot transaction is read only: COMMIT just releases it (and its share locks,
-- which would otherwise block Tableau's own TRUNCATE during maintenance cleanup).
COMMIT;
