"""The owner's and staff's admin pages (/admin)."""
