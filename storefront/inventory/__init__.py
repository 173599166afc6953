"""The inventory capability."""
