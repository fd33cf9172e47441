"""Qt item models over core query results (small, one per kind of list)."""
