"""The orders capability."""
