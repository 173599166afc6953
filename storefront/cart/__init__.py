"""The cart capability."""
