completed_at IS NULL
