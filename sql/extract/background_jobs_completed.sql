completed_at IS NOT NULL
