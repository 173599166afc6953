"""Verified-buyer reviews: a delivered or collected order line reviewed once, moderated, shown on products."""
