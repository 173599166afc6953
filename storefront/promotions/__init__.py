"""Discount codes: percent, fixed or free delivery, limited exactly under concurrency (issue 20)."""
