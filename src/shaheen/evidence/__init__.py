"""Evidence: canonical, hash-chained and signed snapshots of what was seen, for courts."""
