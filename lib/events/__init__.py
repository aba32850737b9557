"""The write path: events written (write), rollups kept in the same transaction (rollup), the one reader of
the rollups (read), today's live counters (live)."""
