"""Saved, live customer segments: a definition the owner builds, evaluated in SQL when asked."""
