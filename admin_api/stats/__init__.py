"""Statistics for staff."""
