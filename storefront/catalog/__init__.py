"""The catalog capability."""
